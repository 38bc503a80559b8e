/// Where in the drop folder the labels come from: a pattern of path components such as
/// `{unit}/{candidate}/{file}` (the default). Placeholders fill whole folder names; other
/// components are literal folder names that must be present (compared case-insensitively, as an
/// SMB share shows them).
package struct LabelLayout: Sendable {
    enum Component: Sendable, Equatable {
        case unit, candidate, file
        case literal(String)
    }

    let pattern: String
    let components: [Component]

    package init(pattern: String) throws(EvidenceError) {
        self.pattern = pattern
        self.components = try Self.parse(pattern)
    }

    private static func parse(_ pattern: String) throws(EvidenceError) -> [Component] {
        func invalid(_ why: String) -> EvidenceError {
            EvidenceError(.config, "labels.layout \(pattern.debugQuoted) is not a valid layout: \(why). "
                + "Write folder names separated by \"/\", ending in {file}, for example \"{unit}/{candidate}/{file}\"")
        }
        let trimmed = pattern.trimmingSpaces
        guard !trimmed.isEmpty else { throw invalid("it is empty") }
        guard !trimmed.hasPrefix("/") else { throw invalid("it must be relative to the drop folder, not start with \"/\"") }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        var components: [Component] = []
        for part in parts {
            switch part {
            case "{unit}": components.append(.unit)
            case "{candidate}": components.append(.candidate)
            case "{file}": components.append(.file)
            case "": throw invalid("it has an empty folder name (\"//\" or a trailing \"/\")")
            case ".", "..": throw invalid("\"\(part)\" cannot be a folder name in a layout")
            default:
                if part.contains("{") || part.contains("}") {
                    throw invalid("\(String(part).debugQuoted) is not a placeholder; the placeholders are "
                        + "{unit}, {candidate} and {file}, each a whole folder or file name")
                }
                components.append(.literal(String(part)))
            }
        }
        guard components.last == .file else { throw invalid("{file} must be the last part") }
        if components.filter({ $0 == .file }).count > 1 { throw invalid("{file} appears more than once") }
        if components.filter({ $0 == .unit }).count > 1 { throw invalid("{unit} appears more than once") }
        if components.filter({ $0 == .candidate }).count > 1 { throw invalid("{candidate} appears more than once") }
        return components
    }

    /// For a path relative to the drop root ("8711-305/1234/video.mp4"): the unit and candidate it
    /// gives (nil for a placeholder the layout does not have), or nil where the path does not have
    /// the layout's shape (wrong depth, literal folder mismatch).
    func match(relativePath: String) -> (unit: String?, candidate: String?)? {
        let parts = relativePathComponents(relativePath)
        guard parts.count == components.count else { return nil }
        var unit: String?
        var candidate: String?
        for (component, part) in zip(components, parts) {
            switch component {
            case .unit: unit = String(part)
            case .candidate: candidate = String(part)
            case .file: break
            case .literal(let name):
                guard name.lowercased() == part.lowercased() else { return nil }
            }
        }
        return (unit, candidate)
    }

    var hasUnit: Bool { components.contains(.unit) }
    var hasCandidate: Bool { components.contains(.candidate) }

    /// The layout filled in with example labels: "8711-305/1234/video.mp4".
    func example(fileName: String) -> String {
        components.map { component -> String in
            switch component {
            case .unit: return "8711-305"
            case .candidate: return "1234"
            case .file: return fileName
            case .literal(let name): return name
            }
        }.joined(separator: "/")
    }

    /// The folders in words: "a folder named after the unit, then a folder named after the
    /// candidate number". Nil when the layout takes no labels from folders.
    var folderDescription: String? {
        let words: [String] = components.compactMap { component in
            switch component {
            case .unit: return "a folder named after the unit"
            case .candidate: return "a folder named after the candidate number"
            case .literal(let name): return "a folder called \(name.debugQuoted)"
            case .file: return nil
            }
        }
        guard hasUnit || hasCandidate, !words.isEmpty else { return nil }
        return words.joined(separator: ", then ")
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
