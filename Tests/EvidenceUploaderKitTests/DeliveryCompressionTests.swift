#if DEBUG  // the doubles (UploaderTestSupport) exist in debug builds only; see Package.swift
@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCore
@testable import UploaderTestSupport

/// `Delivery` through its hasher and compressor ports, over the doubles: an oversize video with
/// `oversize_video = "compress"`, the compressor scripted (no ffmpeg), the transport too. What is
/// sent, what is kept beside the original, what the receipt says, what each way of not fitting
/// comes to, and a file that cannot be read to hash.
@Suite("Delivery driver: hashing and compression")
struct DeliveryCompressionTests {
    static let path = "8711-305/0042/wall.mp4"
    /// 27 bytes: over the 20-byte limit below.
    static let bytes = Array("a recording of a brick wall".utf8)
    static let copy = Array("a smaller copy".utf8)
    static let url = "https://portal.example.org/files/u1"

    static func harness(_ steps: [ScriptedTransport.Step] = []) throws -> DeliveryHarness {
        try DeliveryHarness(steps) { config in
            config.policy.maxVideoSize = ByteSize(bytes: 20)
            config.policy.oversizeVideo = .compress
            config.destinations = [Config.Destination(implicitFrom: config)]  // the one destination takes the policy
        }
    }

    @Test("compressed to fit: the copy is sent, kept beside the original, and the receipt gives both")
    func compressedAndSent() throws {
        let h = try Self.harness([.deliver(url: Self.url)])
        h.compressor.script([.fits(Self.copy, rung: "720p")])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .delivered(Self.path))
        #expect(h.compressor.calls == [.init(id: item.id, limitBytes: 20)])
        // The transport is handed the copy, not the original.
        #expect(h.transport.calls.map(\.length) == [Int64(Self.copy.count)])
        #expect(h.journal.recordNames(of: item.id) == ["discovered", "hashed", "created", "offset", "delivered", "moved"])
        #expect(h.uploaded.keptCopies == ["8711-305/0042/wall.mp4.compressed.mp4"])
        let receipt = try #require(h.uploaded.notes[Self.path + ".receipt.txt"])
        let original = try #require(h.journal.item(id: item.id)?.sha256)
        #expect(receipt.contains("COMPRESSED TO FIT") && receipt.contains("720p") && receipt.contains(original))
        #expect(receipt.contains("wall.mp4.compressed.mp4"))
        #expect(h.drop.paths.isEmpty && h.rejections.codes.isEmpty)
    }

    @Test("the video cannot be made to fit: rejected with the compressor's reason, nothing sent")
    func refused() throws {
        let h = try Self.harness()
        h.compressor.script([.refuses(Rejection(code: "video-too-long-to-compress",
                                                message: "Even at the lowest quality this video is over the limit."))])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .rejected("video-too-long-to-compress"))
        #expect(h.rejections.codes == ["video-too-long-to-compress"])
        #expect(h.transport.calls.isEmpty && h.uploaded.placed.isEmpty && h.uploaded.keptCopies.isEmpty)
    }

    @Test("the compressor fails for a passing reason: the file stays, nothing is sent, it is tried again")
    func failsThenFits() throws {
        let h = try Self.harness([.deliver(url: Self.url)])
        h.compressor.script([.fails("ffmpeg was killed", permanent: false), .fits(Self.copy)])
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        guard case .failed(_, permanent: false) = h.deliver(item).outcome else {
            Issue.record("expected a failure tried again later")
            return
        }
        #expect(h.transport.calls.isEmpty && h.drop.paths == [Self.path] && h.rejections.codes.isEmpty)
        let again = try #require(h.journal.item(id: item.id))
        #expect(h.deliver(again).outcome == .delivered(Self.path))
        #expect(h.compressor.calls.count == 2)
        #expect(h.journal.recordNames(of: item.id).filter { $0 == "hashed" }.count == 1)  // hashed once
    }

    @Test("ffmpeg is not installed: the oversize video is rejected as it would be without compression")
    func toolsMissing() throws {
        let h = try Self.harness()
        h.compressor.toolsInstalled(false)
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        #expect(h.deliver(item).outcome == .rejected(Rejection.videoTooLargeCode))
        #expect(h.compressor.calls.isEmpty && h.transport.calls.isEmpty)
        #expect(h.rejections.codes == [Rejection.videoTooLargeCode])
        #expect(h.log.messages(atLeast: .error).contains {
            $0.hasPrefix("ffmpeg or ffprobe is missing")
        })
    }

    @Test("the file cannot be read to hash it: a failure tried again later, nothing created at the portal, the file stays")
    func hashFails() throws {
        struct UnreadableDisk: ContentHasher {
            func sha256(of file: any OpenedEvidence, path: String, keepGoing: @escaping @Sendable () -> Bool) throws(EvidenceError) -> String {
                throw EvidenceError(.system, "read \(path.debugQuoted): Input/output error")
            }
        }
        let h = try Self.harness([.deliver(url: Self.url)])
        h.hasher = UnreadableDisk()
        let item = try h.discover(Self.path, bytes: Self.bytes, inode: 100)
        guard case .failed(_, permanent: false) = h.deliver(item).outcome else {
            Issue.record("expected a failure tried again later")
            return
        }
        #expect(h.journal.recordNames(of: item.id) == ["discovered"])
        #expect(h.transport.calls.isEmpty && h.compressor.calls.isEmpty && h.drop.paths == [Self.path])
        #expect(h.log.messages(atLeast: .warning) == ["cannot hash file; it stays in the drop folder"])
    }

    @Test("a video under the limit is never handed to the compressor")
    func underTheLimit() throws {
        let h = try Self.harness([.deliver(url: Self.url)])
        let item = try h.discover(Self.path, bytes: Array(Self.bytes.prefix(20)), inode: 100)
        #expect(h.deliver(item).outcome == .delivered(Self.path))
        #expect(h.compressor.calls.isEmpty && h.uploaded.keptCopies.isEmpty)
        #expect(h.transport.calls.map(\.length) == [20])
    }
}
#endif
