/// A ZIP with a password: the encryption flag (general purpose bit 0) on the first local header or
/// on any central directory entry. The central directory is found from the end-of-central-directory
/// record (ZIP64 too). Reads at most 30 + 65 577 + 56 bytes plus `maxCentralDirectory`.
enum ZipEncryption {
    static let localHeader: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    static let centralEntry: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    static let endOfCentralDirectory: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
    static let zip64Locator: [UInt8] = [0x50, 0x4B, 0x06, 0x07]
    static let zip64End: [UInt8] = [0x50, 0x4B, 0x06, 0x06]
    static let spannedMarker: [UInt8] = [0x50, 0x4B, 0x07, 0x08]
    /// The central directory read, at most (about 40 000 entries); a longer one is judged on these.
    static let maxCentralDirectory = 4 << 20

    static func applies(_ head: [UInt8]) -> Bool {
        head.has(localHeader, at: 0) || head.has(endOfCentralDirectory, at: 0) || head.has(spannedMarker, at: 0)
    }

    static func isEncrypted(head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        if head.has(localHeader, at: 0), let flags = head.le16(at: 6), flags & 1 != 0 { return true }
        guard let directory = try centralDirectory(bytes) else { return false }
        var p = 0
        while p <= directory.count - 46, directory.has(centralEntry, at: p) {
            if let flags = directory.le16(at: p + 8), flags & 1 != 0 { return true }
            guard let name = directory.le16(at: p + 28), let extra = directory.le16(at: p + 30),
                  let comment = directory.le16(at: p + 32) else { break }
            p += 46 + Int(name) + Int(extra) + Int(comment)
        }
        return false
    }

    /// The start of the central directory (up to `maxCentralDirectory` bytes), or nil when the end
    /// record is missing (a truncated ZIP: nothing more to say about it here).
    static func centralDirectory(_ bytes: some EvidenceBytes) throws(EvidenceError) -> [UInt8]? {
        let tailLength = min(bytes.size, 22 + 65_535 + 20)
        let tailStart = bytes.size - tailLength
        let tail = try bytes.read(at: tailStart, count: Int(tailLength))
        // The last end record whose comment length fits the file.
        var found: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail.has(endOfCentralDirectory, at: i), let comment = tail.le16(at: i + 20), i + 22 + Int(comment) <= tail.count {
                found = i
                break
            }
            i -= 1
        }
        guard let end = found, let size32 = tail.le32(at: end + 12), let offset32 = tail.le32(at: end + 16),
              let entries = tail.le16(at: end + 10) else { return nil }
        var directorySize = Int64(size32)
        var directoryOffset = Int64(offset32)
        var recordsStart = tailStart + Int64(end)
        if size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF || entries == 0xFFFF, end >= 20,
           tail.has(zip64Locator, at: end - 20), let at = tail.le64(at: end - 20 + 8), let recordOffset = Int64(fitting: at) {
            let record = try bytes.read(at: recordOffset, count: 56)
            if record.has(zip64End, at: 0), let size64 = record.le64(at: 40), let offset64 = record.le64(at: 48),
               let size = Int64(fitting: size64), let offset = Int64(fitting: offset64) {
                directorySize = size
                directoryOffset = offset
                recordsStart = recordOffset
            }
        }
        let count = Int(min(max(directorySize, 0), Int64(maxCentralDirectory)))
        guard count >= 46 else { return nil }
        let atOffset = try bytes.read(at: directoryOffset, count: count)
        if atOffset.has(centralEntry, at: 0) { return atOffset }
        // Data prepended to the archive (a self-extractor) shifts every offset: the directory ends
        // where the end records begin.
        let shifted = recordsStart - directorySize
        guard shifted >= 0, shifted != directoryOffset else { return nil }
        let atEnd = try bytes.read(at: shifted, count: count)
        return atEnd.has(centralEntry, at: 0) ? atEnd : nil
    }
}
