/// Checks on single config values; each returns the problem, or nil when the value is fine.
enum ConfigValidation {
    static func centreNumber(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        let ok = text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
        return ok ? nil : "contains characters other than letters and digits"
    }

    static func noControlCharacters(_ text: String) -> String? {
        let bad = text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
        return bad ? "contains control characters" : nil
    }

    /// The problem with `text` as an upload origin: a URL with nothing after the authority.
    static func origin(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if let problem = url(text, optional: false) { return problem }
        let rest = text.drop { $0 != ":" }.dropFirst(3)
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), rest[slash...] != "/" {
            return "is not just an origin: leave out the path, such as \"https://uploads.example.org\""
        }
        return nil
    }

    /// The problem with `text` as a portal URL (the caller puts the quoted value in front).
    static func url(_ text: String, optional: Bool) -> String? {
        if text.isEmpty { return optional ? nil : "is empty" }
        let scheme: String
        if text.hasPrefix("https://") { scheme = "https" }
        else if text.hasPrefix("http://") { scheme = "http" }
        else { return "does not start with https:// or http://" }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            return "contains spaces or control characters"
        }
        let rest = text.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") { return "contains credentials; put the password in password_file" }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "has an unclosed IPv6 address" }
            host = authority[...close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        if host.isEmpty { return "has no host" }
        if scheme == "http" && !isLoopback(host.lowercased()) {
            return "is plain http; plain http is only allowed to a loopback address"
        }
        return nil
    }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "[::1]" { return true }
        // 127.0.0.0/8: four decimal parts, the first 127.
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127"
            && parts.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }

    /// A `[destination.NAME]` name: it is written into the journal, so kept plain.
    static func destinationName(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.count > 64 { return "is longer than 64 characters" }
        let ok = text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        return ok ? nil : "may hold only lower-case letters, digits and \"-\""
    }

    /// A destination's folder inside the drop folder.
    static func destinationFolder(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.hasPrefix("/") { return "is not a relative path (it is inside the drop folder)" }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "has an empty, \".\" or \"..\" path component"
        }
        if components.contains(where: { $0.hasPrefix(".") }) { return "has a hidden folder (hidden files are ignored)" }
        return noControlCharacters(text)
    }

    static func statusPage(_ text: String) -> String? {
        if text.isEmpty { return nil }
        if text.contains("/") { return "contains \"/\": it is a file name in the drop folder" }
        if !text.lowercased().hasSuffix(".html") || text.count <= 5 { return "does not end in .html" }
        if text.hasPrefix(".") { return "is hidden" }
        return noControlCharacters(text)
    }

    static func email(_ text: String) -> String? {
        if text.isEmpty { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || !parts[1].contains(".") { return "is not one mail address" }
        if text.hasPrefix("-") || text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0 == "," || $0 == "<" || $0 == ">" }) {
            return "is not one plain mail address"
        }
        return nil
    }

    static func s3Bucket(_ text: String) -> String? {
        if text.isEmpty { return nil }
        guard (3...63).contains(text.utf8.count),
              text.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D }),
              text.first != "-", text.first != ".", text.last != "-", text.last != "." else {
            return "is not an S3 bucket name"
        }
        return nil
    }

    static func s3Region(_ text: String) -> String? {
        if text.isEmpty { return nil }
        guard text.utf8.count <= 32, text.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }) else {
            return "is not a region name"
        }
        return nil
    }

    static func s3AccessKeyID(_ text: String) -> String? {
        guard text.utf8.count <= 128, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "is not an access key id (visible ASCII, no spaces)"
        }
        return nil
    }

    static func pinnedKey(_ text: String) -> String? {
        if text.isEmpty || text.hasPrefix("sha256//") { return noControlCharacters(text) }
        return "does not start with sha256//"
    }

    static func manifest(_ text: String) -> String? {
        if text.isEmpty { return nil }
        if text.contains("/") { return "contains \"/\"" }
        if text == "." || text == ".." { return "is not a file name" }
        return noControlCharacters(text)
    }

    static let placeholders = ["{unit}", "{candidate}", "{file}"]

    static func layout(_ text: String, hasManifest: Bool) -> String? {
        if text.isEmpty { return "is empty" }
        if text.hasPrefix("/") { return "is not a relative path" }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "has an empty, \".\" or \"..\" path component"
        }
        var found: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "}" { return "has \"}\" without \"{\"" }
            if c == "{" {
                guard let close = text[index...].firstIndex(of: "}") else { return "has \"{\" without \"}\"" }
                let name = String(text[index...close])
                guard placeholders.contains(name) else { return "has the unknown placeholder \(name.debugQuoted)" }
                if found.contains(name) { return "uses \(name) twice" }
                found.append(name)
                index = text.index(after: close)
                continue
            }
            index = text.index(after: index)
        }
        if components.last != "{file}" { return "does not end with the path component {file}" }
        if !hasManifest {
            let missing = ["{unit}", "{candidate}"].filter { !found.contains($0) }
            if !missing.isEmpty { return "lacks \(missing.joined(separator: " and ")) and no manifest is set" }
        }
        return nil
    }
}
