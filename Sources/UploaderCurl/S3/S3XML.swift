/// Just enough XML for S3's answers (`ListPartsResult`, `InitiateMultipartUploadResult`,
/// `Error`): the text of simple elements, found by name. S3 answers are flat and generated, so
/// no general parser is needed; anything unexpected simply yields no value.
struct S3XML: Sendable {
    let text: String

    init(_ bytes: [UInt8]) { text = String(decoding: bytes, as: UTF8.self) }
    init(text: String) { self.text = text }

    /// The text of the first `<name>...</name>`, entities decoded.
    func value(_ name: String) -> String? { values(name).first }

    /// The text of every `<name>...</name>` at any depth, in order.
    func values(_ name: String) -> [String] { elements(name).map { Self.unescape($0) } }

    /// The raw inner text of every `<name>...</name>` (for blocks such as `<Part>`).
    func elements(_ name: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        let open = "<\(name)>", close = "</\(name)>"
        while let start = rest.firstRange(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.firstRange(of: close) else { break }
            found.append(String(after[..<end.lowerBound]))
            rest = after[end.upperBound...]
        }
        return found
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacing("&quot;", with: "\"").replacing("&apos;", with: "'").replacing("&lt;", with: "<")
            .replacing("&gt;", with: ">").replacing("&#34;", with: "\"").replacing("&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
            .replacing("\"", with: "&quot;").replacing("'", with: "&apos;")
    }
}

