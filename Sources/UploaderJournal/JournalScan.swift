/// The result of reading a whole journal image: every valid record (resynchronising past damage
/// in the middle), where damage was found, and where a torn tail begins. Pure: no I/O.
struct JournalScan {
    enum HeaderProblem: Equatable {
        /// Fewer bytes than a header, all of them a prefix of a valid header (a torn creation).
        case tornHeader
        case badMagic
        case unsupportedVersion(UInt32)
    }

    struct Damage: Equatable {
        /// Byte offset of the first bad frame.
        var offset: Int
        /// Bytes skipped before the next valid frame.
        var length: Int
    }

    struct Entry {
        var offset: Int
        var end: Int
        var record: JournalRecord
    }

    var headerProblem: HeaderProblem?
    var entries: [Entry] = []
    /// Damage in the middle: bad bytes followed by a valid frame.
    var damage: [Damage] = []
    /// Where a torn or garbage tail begins (no valid frame after it), if there is one.
    var tailAt: Int?
    var totalBytes = 0

    /// The end of the last valid record (or the header).
    var validEnd: Int { entries.last?.end ?? JournalFrame.headerSize }
    var tailBytes: Int { tailAt.map { totalBytes - $0 } ?? 0 }

    init(_ bytes: [UInt8]) {
        totalBytes = bytes.count
        bytes.withUnsafeBytes { scan($0) }
    }

    private mutating func scan(_ buffer: UnsafeRawBufferPointer) {
        let header = JournalFrame.header
        if buffer.count < JournalFrame.headerSize {
            if buffer.elementsEqual(header.prefix(buffer.count)) { headerProblem = .tornHeader } else { headerProblem = .badMagic }
            return
        }
        guard buffer.prefix(8).elementsEqual(JournalFrame.magic) else { headerProblem = .badMagic; return }
        let version = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == JournalFrame.version else { headerProblem = .unsupportedVersion(version); return }

        var position = JournalFrame.headerSize
        while position < buffer.count {
            if case let .valid(record, end) = JournalFrame.attempt(buffer, at: position) {
                entries.append(Entry(offset: position, end: end, record: record))
                position = end
                continue
            }
            // Bad or incomplete here: look for a valid frame further on to resynchronise.
            var next = position + 1
            var resynced = false
            while next <= buffer.count - JournalFrame.overhead {
                if case let .valid(record, end) = JournalFrame.attempt(buffer, at: next) {
                    damage.append(Damage(offset: position, length: next - position))
                    entries.append(Entry(offset: next, end: end, record: record))
                    position = end
                    resynced = true
                    break
                }
                next += 1
            }
            if !resynced {
                tailAt = position
                return
            }
        }
    }
}
