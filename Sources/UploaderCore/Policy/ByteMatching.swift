extension Array where Element == UInt8 {
    /// True when `bytes` occur at `offset`; false (never a trap) when the head is too short.
    func has(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= count, count - offset >= bytes.count else { return false }
        for (i, byte) in bytes.enumerated() where self[offset + i] != byte { return false }
        return true
    }

    /// True when the ASCII text occurs at `offset`.
    func has(ascii text: StaticString, at offset: Int) -> Bool {
        let bytes = text.withUTF8Buffer { Array($0) }
        return has(bytes, at: offset)
    }

    /// The four bytes at `offset` as a string of Latin-1 characters, or nil when out of range.
    func fourCC(at offset: Int) -> String? {
        guard offset >= 0, count - offset >= 4 else { return nil }
        return String(self[offset..<offset + 4].map { Character(Unicode.Scalar($0)) })
    }
}
