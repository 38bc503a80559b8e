import UploaderCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Config {
    static let maxFileSize = 1 << 20

    /// Reads and parses the file at `path`. Relative folder paths, `password_file` and `ca_file`
    /// are resolved against the config file's directory.
    public static func load(path: String) throws(EvidenceError) -> Config {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: path, limit: maxFileSize + 1)
        } catch {
            throw EvidenceError(.config, "cannot read config file \(path.debugQuoted): \(error.reason)", cause: error)
        }
        guard bytes.count <= maxFileSize else {
            throw EvidenceError(.config, "config file \(path.debugQuoted) is larger than 1 MiB; is it the right file?")
        }
        let base = ConfigPath.directory(of: path, currentDirectory: FileBytes.currentDirectory())
        return try parse(bytes: bytes, source: path, baseDirectory: base)
    }

    /// Parses config text. Every problem is collected into one `EvidenceError(.config, ...)`,
    /// one per line: `<source>:<line>: [section] key: <problem>; allowed: <what is allowed>`.
    static func parse(_ text: String, source: String, baseDirectory: String) throws(EvidenceError) -> Config {
        try parse(bytes: Array(text.utf8), source: source, baseDirectory: baseDirectory)
    }

    static func parse(bytes: [UInt8], source: String, baseDirectory: String) throws(EvidenceError) -> Config {
        let result = TOMLParser.parse(bytes)
        var decoder = ConfigDecoder(document: result.document, baseDirectory: ConfigPath.normalise(baseDirectory))
        let config = decoder.decode()
        var problems = result.errors.map { ConfigProblem(line: $0.line, problem: $0.message) }
        problems += decoder.problems
        guard problems.isEmpty else {
            let ordered = problems.enumerated().sorted { a, b in
                let (la, lb) = (a.element.line ?? .max, b.element.line ?? .max)
                return la != lb ? la < lb : a.offset < b.offset
            }
            let message = ordered.map { $0.element.rendered(source: source) }.joined(separator: "\n")
            throw EvidenceError(.config, message)
        }
        return config
    }
}
