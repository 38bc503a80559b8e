/// One thing wrong with a config file, rendered as
/// `<source>:<line>: [section] key: <problem>; allowed: <what is allowed>`.
struct ConfigProblem: Sendable, Equatable {
    var line: Int?
    var section: String?
    var key: String?
    var problem: String
    var allowed: String?

    func rendered(source: String) -> String {
        var out = source
        if let line { out += ":\(line)" }
        out += ": "
        if let section { out += "[\(section)] " }
        if let key { out += "\(key): " }
        out += problem
        if let allowed, !allowed.isEmpty { out += "; allowed: \(allowed)" }
        return out
    }
}
