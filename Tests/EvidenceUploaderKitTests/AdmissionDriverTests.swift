#if DEBUG  // the doubles (UploaderTestSupport) exist in debug builds only; see Package.swift
@testable import EvidenceUploaderKit
import Testing
import UploaderCore
@testable import UploaderJournal
@testable import UploaderTestSupport

/// `Admission` (the admission machine's driver) with the doubles: an in-memory journal, a fake
/// drop folder, the config's real examiner and a log of rejections. What goes in the journal, to
/// `rejected/` and in the log, in order, for each path.
@Suite("Admission driver")
struct AdmissionDriverTests {
    static let path = "8711-305/0042/notes.txt"
    static let bytes = Array("what the candidate did, week by week".utf8)

    @Test("accepted: one discovered record with the file's identity and labels, said once; the same file again is not queued twice")
    func queuedOnce() throws {
        let h = try DeliveryHarness()
        h.drop.add(Self.path, bytes: Self.bytes, inode: 100)
        guard case let .queued(id) = h.admit(Self.path) else { Issue.record("not queued"); return }
        let item = try #require(h.journal.item(id: id))
        #expect(item.relativePath == Self.path && item.inode == 100 && item.size == Int64(Self.bytes.count))
        #expect(item.labels == EvidenceLabels(centre: "12345", candidate: "0042", unit: "8711-305"))
        #expect(h.log.messages() == ["accepted"])
        #expect(h.log.all.first?.metadata["id"] == "\(id)")
        #expect(h.admit(Self.path) == .alreadyQueued(id))
        #expect(h.journal.records.map(\.typeName) == ["discovered"])
    }

    @Test("replaced under the same name: the old item abandoned first, then the new file queued")
    func replaced() throws {
        let h = try DeliveryHarness()
        let old = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        h.drop.add(Self.path, bytes: Self.bytes + [10], inode: 101)
        guard case let .queued(id) = h.admit(Self.path) else { Issue.record("not queued"); return }
        #expect(id != old.id)
        #expect(h.journal.records.map(\.typeName) == ["discovered", "abandoned", "discovered"])
        #expect(h.journal.recordNames(of: old.id) == ["discovered", "abandoned"])
        #expect(h.log.messages() == ["file replaced before its upload finished; starting again with the new one", "accepted"])
    }

    @Test("being uploaded now, still being written, or not there: deferred, nothing recorded")
    func deferred() throws {
        let h = try DeliveryHarness()
        let old = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        h.drop.add(Self.path, bytes: Self.bytes + [10], inode: 101)
        #expect(h.admit(Self.path, active: [old.id]) == .deferred("its earlier version is being uploaded"))
        h.drop.beingWritten(Self.path)
        #expect(h.admit(Self.path) == .deferred("still open for writing"))
        #expect(h.journal.records.map(\.typeName) == ["discovered"])
        guard case let .deferred(reason) = h.admit("8711-305/0042/gone.txt") else { Issue.record("a missing file is not deferred"); return }
        #expect(reason.contains("gone.txt"))
    }

    @Test("unsafe to open: rejected as it is (no size, no inode); examined and refused: only the file that was opened")
    func rejected() throws {
        let h = try DeliveryHarness()
        h.drop.add(Self.path, bytes: Self.bytes, inode: 100)
        h.drop.refuse(Self.path, Rejection(code: "not-a-regular-file", message: "a link"))
        #expect(h.admit(Self.path) == .rejected)
        h.drop.add("loose.txt", bytes: Self.bytes, inode: 102)
        #expect(h.admit("loose.txt") == .rejected)
        let filed = h.rejections.filed
        #expect(filed.count == 2)
        #expect(filed.first == .init(path: Self.path, code: "not-a-regular-file", size: 0, inode: nil))
        #expect(filed.last?.path == "loose.txt" && filed.last?.size == Int64(Self.bytes.count) && filed.last?.inode == 102)
        #expect(h.journal.records.isEmpty)
        h.rejections.failMoves()
        #expect(h.admit("loose.txt") == .deferred("could not move it to rejected/"))
    }

    @Test("the journal refuses the record: a full state folder holds new files back; a broken journal is said and stops")
    func journalFails() throws {
        let h = try DeliveryHarness()
        h.drop.add(Self.path, bytes: Self.bytes, inode: 100)
        h.journal.failNext(EvidenceError(.stateFull, "no space left")) { _ in true }
        #expect(h.admit(Self.path) == .stateFull("no space left"))
        #expect(h.log.messages(atLeast: .error).isEmpty)
        h.journal.failNext(EvidenceError(.journal, "cannot write")) { _ in true }
        #expect(h.admit(Self.path) == .journalFailure("cannot write"))
        #expect(h.log.messages(atLeast: .error) == ["cannot record the file in the journal"])
        #expect(h.journal.records.isEmpty)
    }
}
#endif
