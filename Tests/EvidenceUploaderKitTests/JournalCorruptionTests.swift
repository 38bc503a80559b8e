@testable import EvidenceUploaderKit
import Testing
@testable import UploaderJournal

private func journalOfItems(_ count: Int, in dir: String) throws -> [JournalRecord] {
    let journal = try Journal.open(stateDirectory: dir)
    var records: [JournalRecord] = []
    for n in 0..<count {
        let id = try journal.append(discovered("u/c/file\(n).mp4"))
        records.append(discovered("u/c/file\(n).mp4").withID(id))
        for record in [JournalRecord.hashed(id: id, sha256: sha), .created(id: id, uploadURL: "https://x/\(n)"),
                       .offset(id: id, offset: Int64(n) * 1000)] {
            try journal.append(record)
            records.append(record)
        }
    }
    return records
}

@Test("a bit flip in a middle record is found, a copy kept, and every other record recovered")
func journalMiddleBitFlips() throws {
    let source = makeJournalDirectory()
    defer { removeJournalDirectory(source) }
    let records = try journalOfItems(6, in: source)
    let bytes = readJournalBytes(source + "/journal")
    let entries = JournalScan(bytes).entries
    let victim = 9 // the .hashed... of item 3: a record in the middle
    let target = entries[victim]
    var expectedRecords = records
    expectedRecords.remove(at: victim)
    let expected = JournalState(records: expectedRecords)

    for position in target.offset..<target.end {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        var damaged = bytes
        damaged[position] ^= UInt8(1) << UInt8(position % 8)
        writeJournalBytes(damaged, to: dir + "/journal")

        // verify and dump see it without changing anything.
        let verdict = JournalTool.verify(stateDirectory: dir)
        #expect(!verdict.ok)
        #expect(verdict.text.contains("DAMAGE at byte offset \(target.offset)"), "flip at \(position)")
        #expect(JournalTool.dump(stateDirectory: dir).contains("@\(target.offset) DAMAGE"))
        #expect(readJournalBytes(dir + "/journal") == damaged)

        let journal = try Journal.open(stateDirectory: dir)
        let report = journal.replayReport
        #expect(report.corruptionAt == Int64(target.offset), "flip at \(position)")
        #expect(report.recordsRead == records.count - 1, "flip at \(position)")
        #expect(report.summary.contains("JOURNAL DAMAGED"))
        #expect(journal.items() == expected.sortedItems, "flip at \(position)")
        if let copy = report.corruptCopyPath {
            #expect(copy.hasPrefix(dir + "/journal.corrupt-"))
            #expect(readJournalBytes(copy) == damaged)
        } else {
            Issue.record("no copy kept for flip at \(position)")
        }
        // Repaired: the next open is clean and appends carry on.
        try journal.append(.delivered(id: 1))
        let again = try Journal.open(stateDirectory: dir)
        #expect(again.replayReport.corruptionAt == nil)
        #expect(again.replayReport.truncatedAt == nil)
        #expect(again.replayReport.recordsRead == records.count)
        #expect(JournalTool.verify(stateDirectory: dir).ok)
    }
}

@Test("a lost discovery leaves its later records as orphans, with their upload URLs reported")
func journalLostDiscovery() throws {
    let source = makeJournalDirectory()
    defer { removeJournalDirectory(source) }
    _ = try journalOfItems(4, in: source)
    var bytes = readJournalBytes(source + "/journal")
    let entries = JournalScan(bytes).entries
    bytes[entries[4].offset + 10] ^= 0xff // item 2's discovered record
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    writeJournalBytes(bytes, to: dir + "/journal")
    let journal = try Journal.open(stateDirectory: dir)
    #expect(journal.replayReport.corruptionAt == Int64(entries[4].offset))
    #expect(journal.replayReport.orphanRecords == 3)
    #expect(journal.replayReport.orphanUploadURLs == ["https://x/1"])
    #expect(journal.items().map(\.id) == [1, 3, 4])
    #expect(try journal.append(discovered("new")) == 5)
}

@Test("verify and dump describe a healthy journal and escape control characters")
func journalVerifyAndDump() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    for record in everyRecordType() { try journal.append(record) }
    try journal.append(discovered("open.mp4"))
    let verdict = JournalTool.verify(stateDirectory: dir)
    #expect(verdict.ok)
    #expect(verdict.text.contains("records: 12"))
    #expect(verdict.text.contains("moved 1, rejected 1, abandoned 1"))
    #expect(verdict.text.contains("unfinished 1"))
    let dump = JournalTool.dump(stateDirectory: dir)
    #expect(dump.split(separator: "\n").count == 13)
    #expect(dump.contains(#"path="8711-305/0042/clip\n\u{1}é.mp4""#))
    #expect(!dump.contains("\u{1}"))
    let missing = JournalTool.verify(stateDirectory: dir + "/nope")
    #expect(!missing.ok)
}
