/// A RAR with a password. RAR 4: the main header's "block headers are encrypted" flag (0x0080) or
/// a file header's "encrypted" flag (0x0004). RAR 5: an archive encryption header (type 4) or a
/// file header with a file encryption extra record (type 1). Walks at most `maxBlocks` headers,
/// each read on its own (at most 64 KiB).
enum RAREncryption {
    static let rar4: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x00]
    static let rar5: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00]
    static let maxBlocks = 64
    static let maxHeader = 64 << 10

    static func applies(_ head: [UInt8]) -> Bool { head.has(rar4, at: 0) || head.has(rar5, at: 0) }

    static func isEncrypted(head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        if head.has(rar5, at: 0) { return try rar5Encrypted(bytes) }
        if head.has(rar4, at: 0) { return try rar4Encrypted(bytes) }
        return false
    }

    static func rar4Encrypted(_ bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        var position = Int64(rar4.count)
        for _ in 0..<maxBlocks {
            let header = try bytes.read(at: position, count: 36)
            guard header.count >= 7, let flags = header.le16(at: 3), let headSize = header.le16(at: 5), headSize >= 7 else {
                return false
            }
            let type = header[2]
            if type == 0x73 && flags & 0x0080 != 0 { return true }  // main header: encrypted block headers
            if type == 0x74 && flags & 0x0004 != 0 { return true }  // file header: encrypted file
            if type == 0x7B { return false }  // end of archive
            var dataSize: Int64 = 0
            if flags & 0x8000 != 0 || type == 0x74 {
                guard let low = header.le32(at: 7) else { return false }
                dataSize = Int64(low)
                if type == 0x74, flags & 0x0100 != 0, let high = header.le32(at: 32) { dataSize |= Int64(high) << 32 }
            }
            position += Int64(headSize) + dataSize
        }
        return false
    }

    static func rar5Encrypted(_ bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        var position = Int64(rar5.count)
        for _ in 0..<maxBlocks {
            // CRC32, then the header size as a vint (at most 3 bytes for RAR 5's 2 MiB limit).
            let start = try bytes.read(at: position, count: 4 + 10)
            var sizeReader = RARVintReader(bytes: start, position: 4)
            guard let headerSize = sizeReader.next(), headerSize > 0, headerSize <= UInt64(maxHeader) else { return false }
            let headerStart = position + Int64(sizeReader.position)
            let header = try bytes.read(at: headerStart, count: Int(headerSize))
            guard header.count == Int(headerSize) else { return false }
            var reader = RARVintReader(bytes: header, position: 0)
            guard let type = reader.next(), let flags = reader.next() else { return false }
            let extraSize = flags & 0x01 != 0 ? reader.next() : 0
            let dataSize = flags & 0x02 != 0 ? reader.next() : 0
            guard let extraSize, let dataSize, extraSize <= headerSize else { return false }
            switch type {
            case 4: return true  // archive encryption header: every header after it is encrypted
            case 5: return false  // end of archive
            case 2:
                if fileEncryptionRecord(in: Array(header[(header.count - Int(extraSize))...])) { return true }
            default: break
            }
            guard let data = Int64(fitting: dataSize), data <= bytes.size else { return false }
            position = headerStart + Int64(headerSize) + data
        }
        return false
    }

    /// The extra area: records of (size, type, data); type 1 is file encryption.
    static func fileEncryptionRecord(in extra: [UInt8]) -> Bool {
        var reader = RARVintReader(bytes: extra, position: 0)
        for _ in 0..<32 {
            let recordStart = reader.position
            guard let size = reader.next(), size > 0, size <= UInt64(extra.count) else { return false }
            let sizeLength = reader.position - recordStart
            guard let type = reader.next() else { return false }
            if type == 1 { return true }
            reader.position = recordStart + sizeLength + Int(size)
            guard reader.position < extra.count else { return false }
        }
        return false
    }
}

/// RAR 5's variable-length integers: 7 bits a byte, low first, the high bit says "more".
struct RARVintReader {
    let bytes: [UInt8]
    var position: Int

    mutating func next() -> UInt64? {
        var value: UInt64 = 0
        for i in 0..<10 {
            guard position >= 0, position < bytes.count else { return nil }
            let byte = bytes[position]
            position += 1
            if i == 9 && byte > 1 { return nil }  // beyond 64 bits
            value |= UInt64(byte & 0x7F) << UInt64(7 * i)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}
