/// The `Upload-Metadata` header: comma-separated `key base64(value)` pairs.
package struct TusMetadata: Sendable, Equatable {
    var pairs: [(key: String, value: String)]

    package init(_ pairs: [(key: String, value: String)]) { self.pairs = pairs }

    package static func == (a: TusMetadata, b: TusMetadata) -> Bool {
        a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    var headerValue: String {
        pairs.map { "\($0.key) \(Base64.encode($0.value.utf8))" }.joined(separator: ",")
    }

    /// Parses a header value; nil when it is malformed (a key that is not plain ASCII, bad
    /// base64, a value that is not UTF-8). Split on bytes, as servers do: Swift's Characters
    /// would merge a comma or space with a following combining mark.
    static func parse(_ header: String) -> TusMetadata? {
        var pairs: [(String, String)] = []
        for item in Array(header.utf8).split(separator: 0x2C, omittingEmptySubsequences: true) {
            let parts = item.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
            guard !parts.isEmpty, parts.count <= 2, let keyBytes = parts.first,
                  keyBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2C }) else { return nil }
            var value = ""
            if parts.count == 2 {
                guard let bytes = Base64.decode(String(decoding: parts[1], as: UTF8.self)),
                      let text = String(validating: bytes, as: UTF8.self) else { return nil }
                value = text
            }
            pairs.append((String(decoding: keyBytes, as: UTF8.self), value))
        }
        return TusMetadata(pairs)
    }

    package subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }
}
