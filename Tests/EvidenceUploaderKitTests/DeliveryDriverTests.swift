#if DEBUG  // the doubles (UploaderTestSupport) exist in debug builds only; see Package.swift
import Testing
import UploaderCore
@testable import EvidenceUploaderKit
@testable import UploaderTestSupport

/// `Delivery` (the item machine's driver) with the doubles: an in-memory journal, a fake drop
/// folder and `uploaded/`, a manual clock and a scripted transport. No process, no network, no
/// sleep: what goes in the journal, the receipt and the log, in order, for each path.
@Suite("Delivery driver")
struct DeliveryDriverTests {
    static let path = "8711-305/0042/wall.mp4"
    static let bytes = Array("a recording of a brick wall".utf8)
    static let url = "https://portal.example.org/files/u1"

    @Test("a fresh file: hashed, created, delivered, moved with its receipt; every step journalled in order")
    func freshFile() throws {
        let h = try DeliveryHarness([.deliver(url: Self.url)])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        let ended = h.deliver(item)
        #expect(ended.outcome == .delivered(Self.path))
        #expect(h.journal.recordNames(of: item.id) == ["discovered", "hashed", "created", "offset", "delivered", "moved"])
        let sha256 = try #require(h.journal.item(id: item.id)?.sha256)
        #expect(sha256.count == 64)
        #expect(h.transport.calls == [.init(endpoint: "https://portal.example.org/files/", length: Int64(Self.bytes.count),
                                            resumeURL: nil, fileName: "wall.mp4", sha256: sha256)])
        let receipt = try #require(h.uploaded.notes[Self.path + ".receipt.txt"])
        #expect(receipt.contains(sha256) && receipt.contains(Self.url))
        #expect(h.drop.paths.isEmpty)
        #expect(h.log.messages() == ["upload started", "upload created", "delivered", "moved to uploaded"])
    }

    @Test("hashed once: a second delivery of the same item does not hash again, and resumes its upload")
    func hashOnceAndResume() throws {
        let h = try DeliveryHarness([.createThenFail(url: Self.url, .transient("reset", retryAfterSeconds: nil)),
                                     .deliver(url: "unused", resumedFrom: 10)])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .failed("reset", permanent: false))
        let again = try #require(h.journal.item(id: item.id))
        #expect(h.deliver(again).outcome == .delivered(Self.path))
        #expect(h.journal.recordNames(of: item.id) == ["discovered", "hashed", "created", "offset", "delivered", "moved"])
        #expect(h.transport.calls.map(\.resumeURL) == [nil, Self.url])
        #expect(h.log.messages().contains("upload resumed"))
    }

    @Test("the portal refuses the credentials: unauthorized, nothing moved, the file stays")
    func unauthorized() throws {
        let h = try DeliveryHarness([.fail(.unauthorized(status: 401))])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        let ended = h.deliver(item)
        guard case .unauthorized = ended.outcome else {
            Issue.record("expected unauthorized, got \(ended.outcome)")
            return
        }
        #expect(h.drop.paths == [Self.path] && h.uploaded.placed.isEmpty)
        #expect(h.log.messages(atLeast: .error) == ["the portal refused the centre's credentials; all uploads are paused"])
    }

    @Test("the journal cannot record the delivery: a journal failure, and the file is not moved")
    func journalFails() throws {
        let h = try DeliveryHarness([.deliver(url: Self.url)])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        h.journal.failNext(EvidenceError(.journal, "cannot write the journal")) { if case .delivered = $0 { true } else { false } }
        #expect(h.deliver(item).outcome == .journalFailure("cannot write the journal"))
        #expect(h.uploaded.placed.isEmpty && h.drop.paths == [Self.path])
    }

    @Test("the file changes during its upload: superseded, the mixed upload withdrawn, the item abandoned")
    func changedDuringUpload() throws {
        let h = try DeliveryHarness()
        h.transport.script([.createThenFail(url: Self.url, .fileChanged)])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .superseded("the file changed during its upload"))
        #expect(h.transport.abandoned == [Self.url])
        #expect(h.journal.recordNames(of: item.id) == ["discovered", "hashed", "created", "abandoned"])
    }

    @Test("delivered, then a crash between the move and its record: found in uploaded/ by inode, receipt written, never sent again")
    func movedRecordLost() throws {
        let h = try DeliveryHarness()
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        try h.journal.append(.hashed(id: item.id, sha256: "5ha"))
        try h.journal.append(.created(id: item.id, uploadURL: Self.url))
        try h.journal.append(.delivered(id: item.id))
        h.drop.remove(Self.path)
        h.uploaded.place(Self.path, inode: 100)
        let ended = h.deliver(try #require(h.journal.item(id: item.id)))
        #expect(ended.outcome == .delivered(Self.path))
        #expect(h.transport.calls.isEmpty)
        #expect(h.uploaded.notes[Self.path + ".receipt.txt"]?.contains("5ha") == true)
        #expect(h.journal.recordNames(of: item.id).last == "moved")
    }

    @Test("the same content and labels again: a duplicate, moved with a receipt, not sent a second time")
    func duplicate() throws {
        let h = try DeliveryHarness([.deliver(url: Self.url)])
        let first = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(first).outcome == .delivered(Self.path))
        let second = try h.discover("8711-305/0042/wall again.mp4", bytes: Self.bytes, inode: 101)
        #expect(h.deliver(second).outcome == .duplicate("8711-305/0042/wall again.mp4"))
        #expect(h.transport.calls.count == 1)
        #expect(h.uploaded.notes["8711-305/0042/wall again.mp4.receipt.txt"]?.contains(Self.path) == true)
    }

    @Test("an orphan upload the portal holds is claimed and continued")
    func orphanClaimed() throws {
        let h = try DeliveryHarness([.deliver(url: "unused", resumedFrom: 5)], orphans: [
            .init(url: "https://portal.example.org/files/orphan", offset: 5, length: Int64(Self.bytes.count), fileName: "wall.mp4", sha256: nil),
        ])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .delivered(Self.path))
        #expect(h.transport.calls.map(\.resumeURL) == ["https://portal.example.org/files/orphan"])
        #expect(h.log.messages(atLeast: .notice) == ["continuing an upload the portal already holds"])
    }
}
#endif
