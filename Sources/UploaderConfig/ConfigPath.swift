/// Lexical path handling for config values: relative paths are taken from the config file's
/// directory, then "." and ".." and repeated slashes are resolved without touching the disk.
enum ConfigPath {
    static func resolve(_ path: String, against base: String) -> String {
        guard !path.isEmpty else { return path }
        if path.hasPrefix("/") { return normalise(path) }
        return normalise(base + "/" + path)
    }

    static func normalise(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The directory holding `path`, made absolute against `currentDirectory`.
    static func directory(of path: String, currentDirectory: String) -> String {
        let absolute = path.hasPrefix("/") ? normalise(path) : normalise(currentDirectory + "/" + path)
        guard let slash = absolute.lastIndex(of: "/"), slash != absolute.startIndex else { return "/" }
        return String(absolute[..<slash])
    }
}
