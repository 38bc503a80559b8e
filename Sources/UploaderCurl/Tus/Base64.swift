/// Standard base64 (RFC 4648 §4, padded), as tus `Upload-Metadata` and `Upload-Checksum` use it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode<S: Sequence>(_ input: S) -> String where S.Element == UInt8 {
        let bytes = Array(input)
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for anything that is not valid padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            var n: UInt32 = 0
            var padding = 0
            for j in 0..<4 {
                let c = chars[i + j]
                let v: UInt32
                switch c {
                case 65...90: v = UInt32(c - 65)
                case 97...122: v = UInt32(c - 71)
                case 48...57: v = UInt32(c + 4)
                case 43: v = 62
                case 47: v = 63
                case 61 where i + 4 == chars.count && j >= 2:
                    padding += 1
                    v = 0
                default: return nil
                }
                if padding > 0 && c != 61 { return nil }
                n = n << 6 | v
            }
            out.append(UInt8(n >> 16 & 255))
            if padding < 2 { out.append(UInt8(n >> 8 & 255)) }
            if padding < 1 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
