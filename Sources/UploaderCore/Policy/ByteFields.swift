/// Fixed-width integers read from byte arrays; nil (never a trap) when out of range.
extension Array where Element == UInt8 {
    func le16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func le32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        var value: UInt32 = 0
        for i in (0..<4).reversed() { value = value << 8 | UInt32(self[offset + i]) }
        return value
    }

    func le64(at offset: Int) -> UInt64? {
        guard offset >= 0, offset <= count - 8 else { return nil }
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }

    func be32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(self[offset + i]) }
        return value
    }

    func be64(at offset: Int) -> UInt64? {
        guard offset >= 0, offset <= count - 8 else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(self[offset + i]) }
        return value
    }

    /// The offset of the first occurrence of `needle` at or after `from`, before `end`.
    func firstIndex(of needle: [UInt8], from: Int = 0, end: Int? = nil) -> Int? {
        let limit = Swift.min(end ?? count, count)
        guard !needle.isEmpty, from >= 0, limit - needle.count >= from else { return nil }
        var i = from
        while i <= limit - needle.count {
            if self[i] == needle[0] && has(needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// The offset of the last occurrence of `needle`.
    func lastIndex(of needle: [UInt8]) -> Int? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = count - needle.count
        while i >= 0 {
            if self[i] == needle[0] && has(needle, at: i) { return i }
            i -= 1
        }
        return nil
    }
}

extension Int64 {
    /// `UInt64` to `Int64`, nil when it does not fit (sizes from hostile headers).
    init?(fitting value: UInt64) {
        guard value <= UInt64(Int64.max) else { return nil }
        self.init(value)
    }
}

/// The ASCII bytes of a literal.
func asciiBytes(_ text: StaticString) -> [UInt8] { text.withUTF8Buffer { Array($0) } }
