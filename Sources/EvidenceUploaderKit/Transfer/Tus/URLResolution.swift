/// Resolves a `Location` header against the creation URL (RFC 3986 §5.2, for the forms servers use).
enum URLResolution {
    static func resolve(_ location: String, against base: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        let chars = Array(base)
        guard let colon = (0..<max(0, chars.count - 2)).first(where: { chars[$0] == ":" && chars[$0 + 1] == "/" && chars[$0 + 2] == "/" })
        else { return location }
        let scheme = String(chars[..<colon])
        let afterScheme = base.dropFirst(colon + 3)
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let origin = String(base[..<authorityEnd])
        if location.hasPrefix("//") { return scheme + ":" + location }
        if location.hasPrefix("/") { return origin + location }
        // Relative path: replace everything after the base path's last "/".
        var path = String(base[authorityEnd...])
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<query]) }
        if let slash = path.lastIndex(of: "/") { path = String(path[...slash]) } else { path = "/" }
        return origin + path + location
    }
}
