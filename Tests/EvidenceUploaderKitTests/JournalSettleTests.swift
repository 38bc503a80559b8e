@testable import UploaderCore
@testable import UploaderJournal
@testable import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `moved` records wait until the folders the files were moved into are synced (`settle`):
/// many moves become durable with one `syncfs`, and no record can outlive a move a power cut
/// undid. A journal dropped without settling is what a kill leaves.
@Suite("Journal: moved records wait for the folders")
struct JournalSettleTests {
    /// An item delivered and moved, in a journal whose `moved` records wait for `folders`.
    private func deliveredAndMoved(_ journal: Journal, _ name: String) throws -> UInt64 {
        let id = try journal.append(discovered(name))
        try journal.append(.hashed(id: id, sha256: sha))
        try journal.append(.created(id: id, uploadURL: "http://127.0.0.1/files/\(name)"))
        try journal.append(.delivered(id: id))
        try journal.append(.moved(id: id, destination: "unit/cand/\(name)"))
        return id
    }

    @Test("a moved record is in the journal's state at once, on disk only after settle; a later sync does not write it")
    func heldUntilSettled() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        let journal = try Journal.open(stateDirectory: dir, folders: FileSystemSync(folders: [dir]))
        let id = try deliveredAndMoved(journal, "a.pdf")
        #expect(journal.item(id: id)?.state == .moved)
        #expect(journal.unfinished().isEmpty)
        #expect(journal.heldRecords == 1)
        // Another file's durable record syncs the journal: the held one is not in it.
        let other = try journal.append(discovered("b.pdf"))
        try journal.append(.created(id: other, uploadURL: "http://127.0.0.1/files/b"))
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .delivered)

        try journal.settle()
        #expect(journal.heldRecords == 0)
        try journal.sync()
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .moved)
    }

    @Test("killed before settling: the item replays as delivered, to be finished again (found by inode in uploaded/)")
    func killedBeforeSettling() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        do {
            let journal = try Journal.open(stateDirectory: dir, folders: FileSystemSync(folders: [dir]))
            _ = try deliveredAndMoved(journal, "a.pdf")
            try journal.sync()
        }
        let reopened = try Journal.open(stateDirectory: dir)
        #expect(reopened.unfinished().map(\.state) == [.delivered])
        #expect(reopened.replayReport.truncatedAt == nil && reopened.replayReport.corruptionAt == nil)
    }

    @Test("folders that cannot be synced: the records stay held, and are written once they can be")
    func foldersThatCannotBeSynced() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        let uploaded = dir + "/uploaded"
        let journal = try Journal.open(stateDirectory: dir, folders: FileSystemSync(folders: [uploaded]))
        let id = try deliveredAndMoved(journal, "a.pdf")
        #expect(throws: EvidenceError.self) { try journal.settle() }
        #expect(journal.heldRecords == 1)
        try journal.sync()
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .delivered)

        #expect(mkdir(uploaded, 0o755) == 0)
        try journal.settle()
        try journal.sync()
        #expect(journal.heldRecords == 0)
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .moved)
    }

    @Test("compaction syncs the folders first: the compacted file holds the held records' items as moved")
    func compactionSettlesFirst() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        let journal = try Journal.open(stateDirectory: dir, folders: FileSystemSync(folders: [dir]))
        let id = try deliveredAndMoved(journal, "a.pdf")
        #expect(journal.heldRecords == 1)
        try journal.compact()
        #expect(journal.heldRecords == 0)
        // Nothing left to write twice: settling now adds no record.
        let size = journal.fileSize
        try journal.settle()
        #expect(journal.fileSize == size)
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .moved)
    }

    @Test("a long run that never settles keeps at most heldLimit records waiting")
    func heldLimit() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        let journal = try Journal.open(stateDirectory: dir, folders: FileSystemSync(folders: [dir]))
        for n in 0..<(Journal.heldLimit + 10) {
            let id = try journal.append(discovered("f\(n).pdf"))  // no durable record: this is about `moved`
            try journal.append(.moved(id: id, destination: "unit/cand/f\(n).pdf"))
        }
        #expect(journal.heldRecords == 10)
        try journal.sync()
        let moved = try Journal.open(stateDirectory: dir).items().filter { $0.state == .moved }.count
        #expect(moved == Journal.heldLimit)
    }

    @Test("without folders to wait for (commands that move nothing), a moved record is written at once")
    func withoutFolders() throws {
        let dir = makeJournalDirectory()
        defer { removeJournalDirectory(dir) }
        let journal = try Journal.open(stateDirectory: dir)
        let id = try deliveredAndMoved(journal, "a.pdf")
        #expect(journal.heldRecords == 0)
        try journal.sync()
        #expect(try Journal.open(stateDirectory: dir).item(id: id)?.state == .moved)
    }
}
