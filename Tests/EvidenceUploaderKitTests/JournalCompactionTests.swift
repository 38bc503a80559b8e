@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore
@testable import UploaderJournal

@Test("compaction keeps unfinished items identical, a bounded tail of finished ones, and shrinks the file")
func journalCompaction() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    for n in 0..<40 {
        let id = try journal.append(discovered("done/\(n).mp4", size: 100))
        try journal.append(.hashed(id: id, sha256: fakeSHA(n)))
        try journal.append(.created(id: id, uploadURL: "https://x/\(n)"))
        for step in 1...5 { try journal.append(.offset(id: id, offset: Int64(step * 10))) }
        try journal.append(.delivered(id: id))
        try journal.append(.moved(id: id, destination: "uploaded/done/\(n).mp4"))
    }
    let rejected = try journal.append(discovered("bad.mp4"))
    try journal.append(.rejected(id: rejected, code: "not-a-video", destination: "rejected/bad.mp4"))
    // Unfinished items in every state.
    _ = try journal.append(discovered("open/discovered.mp4"))
    let hashed = try journal.append(discovered("open/hashed.mp4"))
    try journal.append(.hashed(id: hashed, sha256: sha))
    let created = try journal.append(discovered("open/created.mp4"))
    try journal.append(.hashed(id: created, sha256: sha))
    try journal.append(.created(id: created, uploadURL: "https://x/c"))
    let midway = try journal.append(discovered("open/midway.mp4"))
    try journal.append(.created(id: midway, uploadURL: "https://x/m1"))
    try journal.append(.offset(id: midway, offset: 999))
    try journal.append(.created(id: midway, uploadURL: "https://x/m2"))
    try journal.append(.offset(id: midway, offset: 42))
    let delivered = try journal.append(discovered("open/delivered.mp4"))
    try journal.append(.created(id: delivered, uploadURL: "https://x/d"))
    try journal.append(.delivered(id: delivered))
    let lastID = try journal.append(discovered("open/last.mp4"))
    try journal.append(.abandoned(id: lastID, reason: "changed"))

    let unfinishedBefore = journal.unfinished()
    let itemsBefore = journal.items()
    let sizeBefore = journal.fileSize
    #expect(unfinishedBefore.count == 5)

    try journal.compact(finishedTail: 10)
    #expect(journal.unfinished() == unfinishedBefore)
    #expect(journal.fileSize < sizeBefore)
    let finishedAfter = journal.items().filter { $0.state.isFinished }
    #expect(finishedAfter.count == 10)
    #expect(finishedAfter == Array(itemsBefore.filter { $0.state.isFinished }.suffix(10)))
    #expect(finishedAfter.last?.state == .abandoned)

    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.replayReport.truncatedAt == nil && reopened.replayReport.corruptionAt == nil)
    #expect(reopened.unfinished() == unfinishedBefore)
    #expect(reopened.items() == journal.items())
    #expect(reopened.finishedItem(sha256: fakeSHA(39), labels: sampleLabels)?.relativePath == "done/39.mp4")
    #expect(reopened.finishedItem(sha256: fakeSHA(0), labels: sampleLabels) == nil) // beyond the tail
    #expect(try reopened.append(discovered("after.mp4")) == lastID + 1)
    #expect(readJournalBytes(dir + "/journal").count == Int(reopened.fileSize))
    #expect(JournalTool.verify(stateDirectory: dir).ok)

    // The public compact keeps the last 1000 finished: here, all of them.
    try reopened.compact()
    #expect(reopened.items().filter { $0.state.isFinished }.count == 10)
}

@Test("synthesized records fold back into the same item for every state")
func journalSynthesisIsExact() {
    var state = JournalState()
    for record in everyRecordType() { state.apply(record) }
    for item in state.sortedItems {
        let folded = JournalState(records: JournalCompaction.synthesize(item))
        #expect(folded.items[item.id] == item)
    }
}

@Test("measure: 10,000 items of 15 records each, size before and after compaction, replay time")
func journalMeasureTenThousandItems() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    // The same bytes Journal.append writes, built in memory so the test does not pay 150,000
    // fdatasyncs; the append cost itself is measured separately below.
    var image = JournalFrame.header
    for n in 0..<10_000 {
        let id = UInt64(n + 1)
        let size: Int64 = 2_500_000_000
        var records: [JournalRecord] = [
            .discovered(id: id, relativePath: "8711-305/\(100_000 + n)/assessment video \(n).mp4", device: 2049,
                        inode: UInt64(1_000_000 + n), size: size, mtimeNanos: 1_700_000_000_000_000_000 + Int64(n),
                        labels: EvidenceLabels(centre: "12345", candidate: "\(100_000 + n)", unit: "8711-305"),
                        fileType: "video/mp4", endpoint: "https://portal.example.org/files/"),
            .hashed(id: id, sha256: sha),
            .created(id: id, uploadURL: "https://portal.example.org/files/0f9e8d7c6b5a4938271605f4e3d2c1b\(n)"),
        ]
        for step in 1...10 { records.append(.offset(id: id, offset: Int64(step) * size / 10)) }
        records.append(.delivered(id: id))
        records.append(.moved(id: id, destination: "uploaded/8711-305/\(100_000 + n)/assessment video \(n).mp4"))
        for record in records { image.append(contentsOf: JournalFrame.encode(record)) }
    }
    writeJournalBytes(image, to: dir + "/journal")

    let clock = ContinuousClock()
    var journal: Journal?
    let replay = try clock.measure { journal = try Journal.open(stateDirectory: dir) }
    let opened = try #require(journal)
    #expect(opened.replayReport.recordsRead == 150_000)
    #expect(opened.items().count == 10_000)
    let before = opened.fileSize
    let compaction = try clock.measure { try opened.compact() }
    let after = opened.fileSize
    var reopened: Journal?
    let replayAfter = try clock.measure { reopened = try Journal.open(stateDirectory: dir) }
    #expect(reopened?.items().count == 1000)

    let appendDir = makeJournalDirectory()
    defer { removeJournalDirectory(appendDir) }
    let appender = try Journal.open(stateDirectory: appendDir)
    let id = try appender.append(discovered("a.mp4"))
    let appends = 200
    let appendTime = try clock.measure {
        for step in 0..<appends { try appender.append(.offset(id: id, offset: Int64(step))) }
    }
    print("""
        JOURNAL MEASURE: 10,000 items x 15 records (150,000 records)
          size before compaction: \(before) bytes (\(before / 1024) KiB)
          replay (Journal.open) before compaction: \(replay)
          compaction: \(compaction)
          size after compaction (0 unfinished + last 1000 finished): \(after) bytes (\(after / 1024) KiB)
          replay after compaction: \(replayAfter)
          append + fdatasync: \(appendTime / appends) each (mean of \(appends), state folder on /tmp)
        """)
}

private func fakeSHA(_ n: Int) -> String {
    let hex = String(n, radix: 16)
    return String(repeating: "0", count: 64 - hex.count) + hex
}
