/// A PDF with a password or restrictions: `/Encrypt` in its trailer dictionary, or in the
/// cross-reference stream's dictionary (PDF 1.5+). Looks at every `trailer` in the last
/// `tailLength` bytes, and at the cross-reference section `startxref` points to (a linearized PDF
/// keeps its full trailer near the start). Reads at most `tailLength + windowLength` bytes.
enum PDFEncryption {
    static let tailLength = 64 << 10
    static let windowLength = 16 << 10
    static let trailerKeyword = asciiBytes("trailer")
    static let startxrefKeyword = asciiBytes("startxref")
    static let encryptKey = asciiBytes("/Encrypt")

    static func applies(_ head: [UInt8]) -> Bool { head.has(ascii: "%PDF-", at: 0) }

    static func isEncrypted(bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        let tailStart = max(0, bytes.size - Int64(tailLength))
        let tail = try bytes.read(at: tailStart, count: Int(bytes.size - tailStart))
        var from = 0
        for _ in 0..<64 {
            guard let found = tail.firstIndex(of: trailerKeyword, from: from) else { break }
            if dictionaryHasEncrypt(tail, from: found + trailerKeyword.count) { return true }
            from = found + trailerKeyword.count
        }
        guard let startxref = tail.lastIndex(of: startxrefKeyword),
              let offset = integer(tail, from: startxref + startxrefKeyword.count),
              offset < bytes.size else { return false }
        let window = try bytes.read(at: offset, count: windowLength)
        var p = skipWhitespace(window, from: 0)
        if window.has(ascii: "xref", at: p) {
            guard let trailer = window.firstIndex(of: trailerKeyword, from: p) else { return false }
            return dictionaryHasEncrypt(window, from: trailer + trailerKeyword.count)
        }
        // "N G obj << /Type /XRef ... >> stream"
        guard let obj = window.firstIndex(of: asciiBytes("obj"), from: p, end: min(window.count, p + 64)) else { return false }
        p = obj + 3
        return dictionaryHasEncrypt(window, from: p)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0C || byte == 0x00
    }

    static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || "()<>[]{}/%".utf8.contains(byte)
    }

    static func skipWhitespace(_ bytes: [UInt8], from: Int) -> Int {
        var p = max(0, from)
        while p < bytes.count, isWhitespace(bytes[p]) { p += 1 }
        return p
    }

    static func integer(_ bytes: [UInt8], from: Int) -> Int64? {
        var p = skipWhitespace(bytes, from: from)
        var value: Int64 = 0
        var digits = 0
        while p < bytes.count, (0x30...0x39).contains(bytes[p]), digits < 18 {
            value = value * 10 + Int64(bytes[p] - 0x30)
            digits += 1
            p += 1
        }
        return digits > 0 ? value : nil
    }

    /// Whether the dictionary starting (after whitespace) at `from` has the key `/Encrypt` at its
    /// own level. Strings and nested dictionaries are stepped over; at most 16 KiB is scanned.
    static func dictionaryHasEncrypt(_ bytes: [UInt8], from: Int) -> Bool {
        var p = skipWhitespace(bytes, from: from)
        guard bytes.has(ascii: "<<", at: p) else { return false }
        p += 2
        var depth = 1
        let end = min(bytes.count, p + (16 << 10))
        while p < end {
            let byte = bytes[p]
            if byte == 0x3C /* < */ {
                if p + 1 < end, bytes[p + 1] == 0x3C { depth += 1; p += 2; continue }
                while p < end, bytes[p] != 0x3E { p += 1 }  // hex string
                p += 1
            } else if byte == 0x3E /* > */ {
                if p + 1 < end, bytes[p + 1] == 0x3E {
                    depth -= 1
                    if depth == 0 { return false }
                    p += 2
                    continue
                }
                p += 1
            } else if byte == 0x28 /* ( */ {
                var nesting = 1
                p += 1
                while p < end, nesting > 0 {
                    if bytes[p] == 0x5C { p += 2; continue }  // backslash escape
                    if bytes[p] == 0x28 { nesting += 1 }
                    if bytes[p] == 0x29 { nesting -= 1 }
                    p += 1
                }
            } else if byte == 0x2F /* / */ {
                if depth == 1, bytes.has(encryptKey, at: p),
                   p + encryptKey.count >= bytes.count || isDelimiter(bytes[p + encryptKey.count]) {
                    return true
                }
                p += 1
            } else {
                p += 1
            }
        }
        return false
    }
}
