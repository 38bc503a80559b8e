/// The `Upload-Metadata` header: comma-separated `key base64(value)` pairs.
struct TusMetadata: Sendable, Equatable {
    var pairs: [(key: String, value: String)]

    init(_ pairs: [(key: String, value: String)]) { self.pairs = pairs }

    static func == (a: TusMetadata, b: TusMetadata) -> Bool {
        a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    var headerValue: String {
        pairs.map { "\($0.key) \(Base64.encode($0.value.utf8))" }.joined(separator: ",")
    }

    /// Parses a header value; nil when it is malformed (bad key, bad base64, invalid UTF-8).
    static func parse(_ header: String) -> TusMetadata? {
        var pairs: [(String, String)] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = String(item).trimmingASCIIWhitespace().split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first, parts.count <= 2, !key.isEmpty else { return nil }
            var value = ""
            if parts.count == 2 {
                guard let bytes = Base64.decode(String(parts[1])),
                      let text = String(validating: bytes, as: UTF8.self) else { return nil }
                value = text
            }
            pairs.append((String(key), value))
        }
        return TusMetadata(pairs)
    }

    subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }
}
