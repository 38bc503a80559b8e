@testable import EvidenceUploaderKit
import Testing
@testable import UploaderJournal

/// A real journal of several items, written through `Journal.append`, and its records in order.
private func realJournal(in dir: String) throws -> (bytes: [UInt8], records: [JournalRecord]) {
    let journal = try Journal.open(stateDirectory: dir)
    var records: [JournalRecord] = []
    func add(_ record: JournalRecord) throws {
        let id = try journal.append(record)
        if case .discovered = record { records.append(record.withID(id)) } else { records.append(record) }
    }
    for n in 0..<3 {
        let id = UInt64(n + 1)
        try add(discovered("8711-305/00\(n)/clip \(n).mp4", size: 10_000_000))
        try add(.hashed(id: id, sha256: sha))
        try add(.created(id: id, uploadURL: "https://portal.example/files/\(n)"))
        try add(.offset(id: id, offset: 5_242_880))
    }
    try add(.delivered(id: 1))
    try add(.moved(id: 1, destination: "uploaded/8711-305/000/clip 0.mp4"))
    return (readJournalBytes(dir + "/journal"), records)
}

@Test("torn tails: cut anywhere in the last three records, add garbage, replay keeps the longest valid prefix")
func journalTornTailEveryOffset() throws {
    let source = makeJournalDirectory()
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(source); removeJournalDirectory(dir) }
    let (bytes, records) = try realJournal(in: source)
    let entries = JournalScan(bytes).entries
    #expect(entries.count == records.count)
    let lastThree = entries.suffix(3)
    var generator = SeededGenerator(seed: 0x7041_1ED)
    var cases = 0
    for cut in lastThree.first!.offset..<bytes.count {
        let garbageKinds: [[UInt8]] = [
            [],
            (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
            [UInt8](repeating: 0, count: 4096),                    // a zero-filled block after a crash
            Array(bytes[entries[1].offset..<entries[1].end].prefix(Int.random(in: 1...20, using: &generator))),
        ]
        for garbage in garbageKinds {
            let damaged = Array(bytes[0..<cut]) + garbage
            // The longest prefix of whole original records. Usually the records before the cut;
            // one more when the garbage happens to supply the missing bytes (zeros ending an id).
            let whole = entries.filter { $0.end <= damaged.count && damaged[0..<$0.end].elementsEqual(bytes[0..<$0.end]) }
            let expected = JournalState(records: records.prefix(whole.count))
            writeJournalBytes(damaged, to: dir + "/journal")
            let journal = try Journal.open(stateDirectory: dir)
            let report = journal.replayReport
            #expect(report.recordsRead == whole.count, "cut \(cut), \(garbage.count) garbage bytes")
            #expect(report.corruptionAt == nil, "cut \(cut)")
            #expect(journal.items() == expected.sortedItems, "cut \(cut)")
            let validEnd = whole.last!.end
            if damaged.count > validEnd {
                #expect(report.truncatedAt == Int64(validEnd), "cut \(cut)")
                #expect(report.truncatedBytes == Int64(damaged.count - validEnd), "cut \(cut)")
            } else {
                #expect(report.truncatedAt == nil)
            }
            #expect(readJournalBytes(dir + "/journal") == Array(bytes[0..<validEnd]), "cut \(cut)")
            cases += 1
        }
    }
    #expect(cases == (bytes.count - lastThree.first!.offset) * 4)

    // After a truncation, appending and replaying again works.
    writeJournalBytes(Array(bytes.dropLast(3)) + [0xde, 0xad], to: dir + "/journal")
    let journal = try Journal.open(stateDirectory: dir)
    #expect(journal.replayReport.truncatedAt != nil)
    try journal.append(.moved(id: 2, destination: "uploaded/x"))
    let again = try Journal.open(stateDirectory: dir)
    #expect(again.replayReport.truncatedAt == nil)
    #expect(again.items().first { $0.id == 2 }?.state == .moved)
}
