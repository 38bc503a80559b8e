/// An Office document with a password, inside an OLE compound file (D0 CF 11 E0 A1 B1 1A E1):
/// a stream named `EncryptedPackage` or `EncryptionInfo` (an encrypted .docx/.xlsx/.pptx: OOXML
/// keeps its ZIP only when it has no password), `EncryptedSummary` (an encrypted .ppt), or the
/// legacy flags: Word's FIB `fEncrypted` bit, Excel's `FILEPASS` record. Reads the 512-byte header,
/// at most `maxDirectorySectors` directory sectors with a 4-byte FAT entry for each, and one
/// sector of a Word or Excel stream.
enum OfficeEncryption {
    static let signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    static let encryptionStreams: Set<String> = ["EncryptedPackage", "EncryptionInfo", "EncryptedSummary"]
    static let maxDirectorySectors = 64
    static let endOfChain: UInt32 = 0xFFFF_FFFA  // and above: free, end, FAT, DIFAT markers

    static func applies(_ head: [UInt8]) -> Bool { head.has(signature, at: 0) }

    struct Stream {
        var start: UInt32
        var size: UInt64
    }

    static func isEncrypted(head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        guard head.count >= 512, let shift = head.le16(at: 0x1E), shift == 9 || shift == 12,
              let firstDirectory = head.le32(at: 0x30), let miniCutoff = head.le32(at: 0x38) else { return false }
        let sectorSize = 1 << Int(shift)
        let difat = (0..<109).compactMap { head.le32(at: 0x4C + 4 * $0) }
        var word: Stream?
        var workbook: Stream?
        var sector = firstDirectory
        for _ in 0..<maxDirectorySectors {
            guard sector < endOfChain else { break }
            let entries = try bytes.read(at: (Int64(sector) + 1) * Int64(sectorSize), count: sectorSize)
            guard entries.count == sectorSize else { break }
            for e in stride(from: 0, to: sectorSize, by: 128) {
                guard let nameLength = entries.le16(at: e + 0x40), nameLength >= 2, nameLength <= 64,
                      nameLength % 2 == 0, entries[e + 0x42] == 2,
                      let start = entries.le32(at: e + 0x74), let size = entries.le32(at: e + 0x78) else { continue }
                let units = (0..<Int(nameLength) / 2 - 1).compactMap { entries.le16(at: e + 2 * $0) }
                let name = String(decoding: units, as: UTF16.self)
                if encryptionStreams.contains(name) { return true }
                if name == "WordDocument" { word = Stream(start: start, size: UInt64(size)) }
                if name == "Workbook" || name == "Book" { workbook = Stream(start: start, size: UInt64(size)) }
            }
            guard let next = try fatEntry(sector, difat: difat, sectorSize: sectorSize, bytes: bytes) else { break }
            sector = next
        }
        // Streams below the mini cutoff live in the mini stream: not looked into (Word and Excel
        // streams are larger).
        if let word, word.size >= UInt64(miniCutoff), word.start < endOfChain {
            let fib = try bytes.read(at: (Int64(word.start) + 1) * Int64(sectorSize), count: 12)
            if fib.le16(at: 0) == 0xA5EC, let flags = fib.le16(at: 0x0A), flags & 0x0100 != 0 { return true }
        }
        if let workbook, workbook.size >= UInt64(miniCutoff), workbook.start < endOfChain {
            let records = try bytes.read(at: (Int64(workbook.start) + 1) * Int64(sectorSize), count: sectorSize)
            var p = 0
            for _ in 0..<32 {
                guard let type = records.le16(at: p), let length = records.le16(at: p + 2) else { break }
                if type == 0x002F { return true }  // FILEPASS
                if type == 0x000A { break }  // EOF of the globals
                p += 4 + Int(length)
            }
        }
        return false
    }

    /// The FAT entry for `sector` (the next sector of its chain), from the first 109 FAT sectors
    /// the header lists; nil beyond them or when unreadable.
    static func fatEntry(_ sector: UInt32, difat: [UInt32], sectorSize: Int, bytes: some EvidenceBytes) throws(EvidenceError) -> UInt32? {
        let perSector = UInt32(sectorSize / 4)
        let index = Int(sector / perSector)
        guard index < difat.count, difat[index] < endOfChain else { return nil }
        let at = (Int64(difat[index]) + 1) * Int64(sectorSize) + Int64(sector % perSector) * 4
        return try bytes.read(at: at, count: 4).le32(at: 0)
    }
}
