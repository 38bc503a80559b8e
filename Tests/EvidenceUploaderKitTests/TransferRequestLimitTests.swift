@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCurl

/// A portal (or the proxy in front of it) that refuses large request bodies: chunks shrink,
/// the upload goes on from the portal's offset, and the file is never called too large.
@Suite("Transfer request-size limits")
struct TransferRequestLimitTests {
    static let kib: Int64 = 1 << 10
    static let url = "https://portal.example/files/one"
    static let core = TusCapabilities(versions: ["1.0.0"], extensions: ["creation"])

    static func started(length: Int64 = 1 << 20, chunk: Int64 = 256 << 10,
                        limit: UploadStateMachine.RequestLimit? = nil) -> UploadStateMachine {
        var machine = UploadStateMachine(length: length, chunkSize: chunk, retry: RetryPolicy(), requestLimit: limit)
        #expect(machine.handle(.start(resumeURL: nil)) == .discover)
        #expect(machine.handle(.discovered(core)) == .create)
        return machine
    }

    @Test("a 413 to a PATCH halves the chunk and asks the portal where it stands")
    func refusedChunk() {
        var machine = Self.started()
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 256 * Self.kib))
        #expect(machine.handle(.failed(.bodyTooLarge)) == .probe(url: Self.url))
        #expect(machine.requestLimit == .init(bytes: 128 * Self.kib, reason: .refused))
        #expect(machine.handle(.probed(offset: 0, length: 1 << 20)) == .send(url: Self.url, offset: 0, length: 128 * Self.kib))
        #expect(machine.handle(.failed(.bodyTooLarge)) == .probe(url: Self.url))
        #expect(machine.handle(.probed(offset: 0, length: 1 << 20)) == .send(url: Self.url, offset: 0, length: 64 * Self.kib))
        #expect(machine.handle(.sent(newOffset: 64 * Self.kib)) == .send(url: Self.url, offset: 64 * Self.kib, length: 64 * Self.kib))
        #expect(machine.attemptsWithoutProgress == 0)
    }

    @Test("at the smallest chunk a 413 is a failure like any other, and never 'too large'")
    func smallestChunk() {
        var machine = Self.started(chunk: 256 << 10, limit: .init(bytes: 64 << 10, reason: .refused))
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 64 * Self.kib))
        #expect(machine.handle(.failed(.bodyTooLarge)) == .backoff(attempt: 1, retryAfterSeconds: nil,
                                                                    reason: "the portal refused a chunk as too large (413)"))
        var action = UploadStateMachine.Action.discover
        for _ in 0..<8 {
            #expect(machine.handle(.waited) == .probe(url: Self.url))
            #expect(machine.handle(.probed(offset: 0, length: 1 << 20)) == .send(url: Self.url, offset: 0, length: 64 * Self.kib))
            action = machine.handle(.failed(.bodyTooLarge))
        }
        #expect(action == .failed(.bodyTooLarge))
    }

    @Test("a 413 to the creation POST is still 'too large'")
    func refusedCreation() {
        var machine = Self.started()
        let failure = TusFailure.from(status: 413, response: HTTPResponse(status: 413, headers: [:], body: []), onUploadURL: false)
        #expect(machine.handle(.failed(failure)) == .failed(.tooLarge("the portal said the file is too large (413)")))
    }

    @Test("the same chunk failing twice at the same offset is sent smaller")
    func resets() {
        var machine = Self.started()
        let reset = TusFailure.transient("Connection reset by peer", retryAfterSeconds: nil)
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 256 * Self.kib))
        #expect(machine.handle(.failed(reset)) == .backoff(attempt: 1, retryAfterSeconds: nil, reason: "Connection reset by peer"))
        #expect(machine.requestLimit == nil)
        #expect(machine.handle(.waited) == .probe(url: Self.url))
        #expect(machine.handle(.probed(offset: 0, length: 1 << 20)) == .send(url: Self.url, offset: 0, length: 256 * Self.kib))
        #expect(machine.handle(.failed(reset)) == .backoff(attempt: 1, retryAfterSeconds: nil, reason: "Connection reset by peer"))
        #expect(machine.requestLimit == .init(bytes: 128 * Self.kib, reason: .resets))
        #expect(machine.handle(.waited) == .probe(url: Self.url))
        #expect(machine.handle(.probed(offset: 0, length: 1 << 20)) == .send(url: Self.url, offset: 0, length: 128 * Self.kib))
    }

    @Test("a failure after the portal kept part of the chunk is progress, not a reason to shrink")
    func partialProgress() {
        var machine = Self.started()
        let reset = TusFailure.transient("Connection reset by peer", retryAfterSeconds: nil)
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 256 * Self.kib))
        _ = machine.handle(.failed(reset))
        _ = machine.handle(.waited)
        #expect(machine.handle(.probed(offset: 100 * Self.kib, length: 1 << 20)) == .send(url: Self.url, offset: 100 * Self.kib, length: 256 * Self.kib))
        _ = machine.handle(.failed(reset))
        #expect(machine.requestLimit == nil)
    }

    @Test("a PATCH answer claiming more than was sent is not believed")
    func claimedTooMuch() {
        var machine = Self.started()
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 256 * Self.kib))
        #expect(machine.handle(.sent(newOffset: 1 << 20)) == .backoff(
            attempt: 1, retryAfterSeconds: nil,
            reason: "the portal answered outside the tus protocol: PATCH answered offset 1048576 after 262144 bytes sent at 0"))
        #expect(machine.handle(.waited) == .probe(url: Self.url))
        #expect(machine.handle(.probed(offset: 256 * Self.kib, length: 1 << 20)) == .send(url: Self.url, offset: 256 * Self.kib, length: 256 * Self.kib))
    }

    @Test("plain http is for loopback: all of 127.0.0.0/8", arguments: [
        ("127.0.0.1", true), ("127.0.0.2", true), ("127.255.10.3", true), ("localhost", true), ("[::1]", true),
        ("128.0.0.1", false), ("127.0.0", false), ("127.0.0.1.evil.example", false), ("127.0.0.256", false), ("127.example", false),
    ])
    func loopback(_ host: String, _ expected: Bool) {
        #expect(ConfigValidation.isLoopback(host) == expected)
    }

    @Test("a known limit caps the first chunk")
    func knownLimit() {
        var machine = Self.started(chunk: 8 << 20, limit: .init(bytes: 512 << 10, reason: .refused))
        #expect(machine.handle(.created(url: Self.url)) == .send(url: Self.url, offset: 0, length: 512 * Self.kib))
    }

    @Test("an untrusted Location ends the upload at once; an untrusted journalled URL starts a new one")
    func untrusted() {
        var machine = Self.started()
        #expect(machine.handle(.failed(.untrustedLocation("x"))) == .failed(.untrustedLocation("x")))
        var resumed = UploadStateMachine(length: 10, chunkSize: 4, retry: RetryPolicy())
        #expect(resumed.handle(.start(resumeURL: "https://old.example/files/1")) == .discover)
        #expect(resumed.handle(.discovered(Self.core)) == .probe(url: "https://old.example/files/1"))
        #expect(resumed.handle(.failed(.untrustedLocation("x"))) == .create)
    }

    @Test("learned limits keep the smallest per portal")
    func registry() throws {
        let limits = RequestSizeLimits()
        let portal = try #require(ParsedURL.parse("https://portal.example/files/")).origin
        let other = try #require(ParsedURL.parse("https://other.example/files/")).origin
        limits.record(.init(bytes: 1 << 20, reason: .refused), for: portal)
        limits.record(.init(bytes: 4 << 20, reason: .resets), for: portal)
        #expect(limits.limit(for: portal) == .init(bytes: 1 << 20, reason: .refused))
        #expect(limits.limit(for: other) == nil)
    }
}
