/// Random access to a file's bytes for the checks that look further than its head (the end of a
/// ZIP, the box headers of a video). The checks read a bounded number of bytes through it, never
/// the whole file. In production it is the safely opened descriptor (`EvidenceFile`); in tests
/// and fuzzing, bytes in memory.
package protocol EvidenceBytes {
    /// The file's size in bytes, as taken when it was opened.
    var size: Int64 { get }
    /// Up to `count` bytes from `offset`: fewer at the end of the file, none at or past it.
    func read(at offset: Int64, count: Int) throws(EvidenceError) -> [UInt8]
}

/// Bytes in memory, for tests and fuzzing.
struct InMemoryBytes: EvidenceBytes {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var size: Int64 { Int64(bytes.count) }

    func read(at offset: Int64, count: Int) throws(EvidenceError) -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<start + min(count, bytes.count - start)])
    }
}
