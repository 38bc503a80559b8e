@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

/// Event sequences fed to `UploadStateMachine`, and the exact action each event must produce.

private let u1 = "https://portal.example/files/one"
private let u2 = "https://portal.example/files/two"

private let core = TusCapabilities(versions: ["1.0.0"], extensions: ["creation"])
private let withTermination = TusCapabilities(versions: ["1.0.0"], extensions: ["creation", "termination"])

struct TransferMachineScenario: Sendable, CustomStringConvertible {
    let name: String
    var length: Int64 = 10
    var chunkSize: Int64 = 4
    var retry = RetryPolicy()
    /// Each event with the action it must produce.
    let steps: [(UploadStateMachine.Event, UploadStateMachine.Action)]
    var description: String { name }
}

private func transient(_ message: String, _ seconds: Int? = nil) -> TusFailure {
    .transient(message, retryAfterSeconds: seconds)
}

private func violation(_ newOffset: Int64, after confirmed: Int64) -> String {
    "the portal answered outside the tus protocol: PATCH answered offset \(newOffset) after \(confirmed)"
}

private let checksumSummary = "the portal received a chunk whose checksum did not match (460)"

/// Steps that take a fresh upload of 10 bytes (chunk 4) to its first PATCH.
private let freshToFirstSend: [(UploadStateMachine.Event, UploadStateMachine.Action)] = [
    (.start(resumeURL: nil), .discover),
    (.discovered(core), .create),
    (.created(url: u1), .send(url: u1, offset: 0, length: 4)),
]

/// Steps that take a resumed upload of 10 bytes to its HEAD.
private func resumeToProbe(_ capabilities: TusCapabilities = core) -> [(UploadStateMachine.Event, UploadStateMachine.Action)] {
    [(.start(resumeURL: u1), .discover), (.discovered(capabilities), .probe(url: u1))]
}

let transferMachineScenarios: [TransferMachineScenario] = [
    // Fresh uploads.
    TransferMachineScenario(name: "fresh: chunks of chunkSize, the last one short", steps: freshToFirstSend + [
        (.sent(newOffset: 4), .send(url: u1, offset: 4, length: 4)),
        (.sent(newOffset: 8), .send(url: u1, offset: 8, length: 2)),
        (.sent(newOffset: 10), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "fresh: length a multiple of chunkSize", length: 8, chunkSize: 4, steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.created(url: u1), .send(url: u1, offset: 0, length: 4)),
        (.sent(newOffset: 4), .send(url: u1, offset: 4, length: 4)),
        (.sent(newOffset: 8), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "fresh: file smaller than one chunk", length: 3, chunkSize: 4, steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.created(url: u1), .send(url: u1, offset: 0, length: 3)),
        (.sent(newOffset: 3), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "fresh: empty file finishes on creation", length: 0, steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.created(url: u1), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "fresh: server accepts part of a chunk; next chunk starts at its offset", steps: freshToFirstSend + [
        (.sent(newOffset: 3), .send(url: u1, offset: 3, length: 4)),
        (.sent(newOffset: 7), .send(url: u1, offset: 7, length: 3)),
        (.sent(newOffset: 10), .finished(url: u1)),
    ]),

    // Resume.
    TransferMachineScenario(name: "resume: send from the server's offset, not zero", steps: resumeToProbe() + [
        (.probed(offset: 6, length: 10), .send(url: u1, offset: 6, length: 4)),
        (.sent(newOffset: 10), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "resume: offset == length finishes without sending", steps: resumeToProbe() + [
        (.probed(offset: 10, length: 10), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "resume: server without Upload-Length is trusted", steps: resumeToProbe() + [
        (.probed(offset: 4, length: nil), .send(url: u1, offset: 4, length: 4)),
    ]),
    TransferMachineScenario(name: "resume: offset 0 sends from the start", steps: resumeToProbe() + [
        (.probed(offset: 0, length: 10), .send(url: u1, offset: 0, length: 4)),
    ]),

    // Tus-Max-Size.
    TransferMachineScenario(name: "Tus-Max-Size smaller than the file fails tooLarge", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(TusCapabilities(extensions: ["creation"], maxSize: 9)),
         .failed(.tooLarge("this file is 10 bytes and the portal takes at most 9 bytes"))),
    ]),
    TransferMachineScenario(name: "Tus-Max-Size smaller than the file fails even when resuming", steps: [
        (.start(resumeURL: u1), .discover),
        (.discovered(TusCapabilities(extensions: ["creation"], maxSize: 5)),
         .failed(.tooLarge("this file is 10 bytes and the portal takes at most 5 bytes"))),
    ]),
    TransferMachineScenario(name: "Tus-Max-Size equal to the file is fine", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(TusCapabilities(extensions: ["creation"], maxSize: 10)), .create),
    ]),
    TransferMachineScenario(name: "Tus-Max-Size 0 means no limit", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(TusCapabilities(extensions: ["creation"], maxSize: 0)), .create),
    ]),

    // 409.
    TransferMachineScenario(name: "409 on PATCH probes at once, no backoff", steps: freshToFirstSend + [
        (.failed(.offsetConflict), .probe(url: u1)),
        (.probed(offset: 4, length: 10), .send(url: u1, offset: 4, length: 4)),
    ]),

    // Transient failures.
    TransferMachineScenario(name: "transient on PATCH: backoff 1, then probe", steps: freshToFirstSend + [
        (.failed(transient("the link dropped")), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "the link dropped")),
        (.waited, .probe(url: u1)),
        (.probed(offset: 2, length: 10), .send(url: u1, offset: 2, length: 4)),
    ]),
    TransferMachineScenario(name: "Retry-After is carried into the backoff", steps: freshToFirstSend + [
        (.failed(transient("the portal answered 503", 30)),
         .backoff(attempt: 1, retryAfterSeconds: 30, reason: "the portal answered 503")),
        (.waited, .probe(url: u1)),
    ]),
    TransferMachineScenario(name: "transient on OPTIONS: backoff, then discover again", steps: [
        (.start(resumeURL: nil), .discover),
        (.failed(transient("timeout")), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "timeout")),
        (.waited, .discover),
        (.discovered(core), .create),
    ]),
    TransferMachineScenario(name: "transient on POST: backoff, then create again", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.failed(transient("the portal answered 502", 5)), .backoff(attempt: 1, retryAfterSeconds: 5, reason: "the portal answered 502")),
        (.waited, .create),
        (.created(url: u1), .send(url: u1, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "transient on HEAD: backoff, then probe again", steps: resumeToProbe() + [
        (.failed(transient("reset")), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "reset")),
        (.waited, .probe(url: u1)),
        (.probed(offset: 8, length: 10), .send(url: u1, offset: 8, length: 2)),
        (.sent(newOffset: 10), .finished(url: u1)),
    ]),
    TransferMachineScenario(name: "checksum mismatch (460): backoff, then probe", steps: freshToFirstSend + [
        (.failed(.checksumMismatch), .backoff(attempt: 1, retryAfterSeconds: nil, reason: checksumSummary)),
        (.waited, .probe(url: u1)),
        (.probed(offset: 0, length: 10), .send(url: u1, offset: 0, length: 4)),
    ]),

    // Upload gone.
    TransferMachineScenario(name: "404 on HEAD creates a new upload", steps: resumeToProbe() + [
        (.failed(.uploadGone(status: 404)), .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "410 on HEAD creates a new upload", steps: resumeToProbe() + [
        (.failed(.uploadGone(status: 410)), .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "404 on PATCH creates a new upload from offset 0", steps: freshToFirstSend + [
        (.sent(newOffset: 4), .send(url: u1, offset: 4, length: 4)),
        (.failed(.uploadGone(status: 404)), .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),

    // A different upload on the server.
    TransferMachineScenario(name: "server length differs, termination supported: terminate, then create",
                    steps: resumeToProbe(withTermination) + [
        (.probed(offset: 3, length: 99), .terminate(url: u1)),
        (.terminated, .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "server length differs, no termination: create", steps: resumeToProbe() + [
        (.probed(offset: 3, length: 99), .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "server offset past our length: terminate", steps: resumeToProbe(withTermination) + [
        (.probed(offset: 11, length: nil), .terminate(url: u1)),
        (.terminated, .create),
    ]),
    TransferMachineScenario(name: "server offset past our length, no termination: create", steps: resumeToProbe() + [
        (.probed(offset: 11, length: nil), .create),
    ]),
    TransferMachineScenario(name: "termination refused is best-effort: create", steps: resumeToProbe(withTermination) + [
        (.probed(offset: 0, length: 5), .terminate(url: u1)),
        (.failed(.refused(status: 405, "")), .create),
        (.created(url: u2), .send(url: u2, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "termination transient is best-effort: create", steps: resumeToProbe(withTermination) + [
        (.probed(offset: 0, length: 5), .terminate(url: u1)),
        (.failed(transient("timeout")), .create),
    ]),

    // PATCH answers that do not make sense.
    TransferMachineScenario(name: "PATCH answer that does not advance: backoff, then probe", steps: freshToFirstSend + [
        (.sent(newOffset: 0), .backoff(attempt: 1, retryAfterSeconds: nil, reason: violation(0, after: 0))),
        (.waited, .probe(url: u1)),
    ]),
    TransferMachineScenario(name: "PATCH answer that goes backwards: backoff", steps: freshToFirstSend + [
        (.sent(newOffset: 4), .send(url: u1, offset: 4, length: 4)),
        (.sent(newOffset: 2), .backoff(attempt: 1, retryAfterSeconds: nil, reason: violation(2, after: 4))),
        (.waited, .probe(url: u1)),
        (.probed(offset: 4, length: 10), .send(url: u1, offset: 4, length: 4)),
    ]),
    TransferMachineScenario(name: "PATCH answer past the end: backoff, then probe", steps: freshToFirstSend + [
        (.sent(newOffset: 11), .backoff(attempt: 1, retryAfterSeconds: nil, reason: violation(11, after: 0))),
        (.waited, .probe(url: u1)),
    ]),

    // Fatal failures.
    TransferMachineScenario(name: "401 on OPTIONS fails", steps: [
        (.start(resumeURL: nil), .discover),
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "401 on POST fails", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "401 on HEAD fails", steps: resumeToProbe() + [
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "401 on PATCH fails", steps: freshToFirstSend + [
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "403 on PATCH fails", steps: freshToFirstSend + [
        (.failed(.unauthorized(status: 403)), .failed(.unauthorized(status: 403))),
    ]),
    TransferMachineScenario(name: "401 on DELETE fails", steps: resumeToProbe(withTermination) + [
        (.probed(offset: 0, length: 5), .terminate(url: u1)),
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "401 after a backoff fails", steps: freshToFirstSend + [
        (.failed(transient("reset")), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "reset")),
        (.waited, .probe(url: u1)),
        (.failed(.unauthorized(status: 401)), .failed(.unauthorized(status: 401))),
    ]),
    TransferMachineScenario(name: "refused POST (400) fails", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.failed(.refused(status: 400, "bad metadata")), .failed(.refused(status: 400, "bad metadata"))),
    ]),
    TransferMachineScenario(name: "413 on POST fails", steps: [
        (.start(resumeURL: nil), .discover),
        (.discovered(core), .create),
        (.failed(.tooLarge("too large")), .failed(.tooLarge("too large"))),
    ]),
    TransferMachineScenario(name: "TLS failure fails", steps: [
        (.start(resumeURL: nil), .discover),
        (.failed(.tls("pin mismatch")), .failed(.tls("pin mismatch"))),
    ]),
    TransferMachineScenario(name: "local read failure fails", steps: freshToFirstSend + [
        (.failed(.localRead("EIO")), .failed(.localRead("EIO"))),
    ]),
    TransferMachineScenario(name: "cancellation fails", steps: freshToFirstSend + [
        (.failed(.cancelled), .failed(.cancelled)),
    ]),

    // OPTIONS not answered well.
    TransferMachineScenario(name: "OPTIONS refused (405): go on to create", steps: [
        (.start(resumeURL: nil), .discover),
        (.failed(.refused(status: 405, "")), .create),
        (.created(url: u1), .send(url: u1, offset: 0, length: 4)),
    ]),
    TransferMachineScenario(name: "OPTIONS refused (405) when resuming: go on to probe", steps: [
        (.start(resumeURL: u1), .discover),
        (.failed(.refused(status: 405, "")), .probe(url: u1)),
        (.probed(offset: 4, length: 10), .send(url: u1, offset: 4, length: 4)),
    ]),
    TransferMachineScenario(name: "OPTIONS answered outside the protocol: go on to create", steps: [
        (.start(resumeURL: nil), .discover),
        (.failed(.protocolViolation("no Tus-Version")), .create),
    ]),
]

private func describe(_ steps: [(UploadStateMachine.Event, UploadStateMachine.Action)]) -> String {
    steps.map { "\($0.0)" }.joined(separator: " → ")
}

@Test("UploadStateMachine: event sequences produce exact actions", arguments: transferMachineScenarios)
func stateMachineScenario(_ scenario: TransferMachineScenario) {
    var machine = UploadStateMachine(length: scenario.length, chunkSize: scenario.chunkSize, retry: scenario.retry)
    for (index, (event, expected)) in scenario.steps.enumerated() {
        let action = machine.handle(event)
        #expect(action == expected, "step \(index): \(event) after \(describe(Array(scenario.steps.prefix(index))))")
    }
}

@Test("OPTIONS refused leaves the capabilities .assumed", arguments: [
    TusFailure.refused(status: 405, ""), .refused(status: 404, "not here"), .protocolViolation("garbage"),
])
func optionsRefusedAssumesCapabilities(_ failure: TusFailure) {
    var machine = UploadStateMachine(length: 10, chunkSize: 4, retry: RetryPolicy())
    #expect(machine.handle(.start(resumeURL: nil)) == .discover)
    #expect(machine.handle(.failed(failure)) == .create)
    #expect(machine.capabilities == .assumed)
    #expect(machine.capabilities?.checksumAlgorithm == nil)
    #expect(machine.capabilities?.supportsTermination == false)
}

// MARK: - Counting attempts

/// Drives a fresh upload to its first PATCH.
private func machineAtFirstSend(retry: RetryPolicy, length: Int64 = 10, chunkSize: Int64 = 4) -> UploadStateMachine {
    var machine = UploadStateMachine(length: length, chunkSize: chunkSize, retry: retry)
    _ = machine.handle(.start(resumeURL: nil))
    _ = machine.handle(.discovered(core))
    _ = machine.handle(.created(url: u1))
    return machine
}

@Test("gives up after maxAttemptsWithoutProgress consecutive failures", arguments: [0, 1, 2, 3, 8])
func givesUpAfterMaxAttempts(_ max: Int) {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: max))
    // `max` failures are retried with attempts 1...max; the next one fails the upload.
    for attempt in 1...(max + 1) {
        let failure = transient("down \(attempt)")
        let action = machine.handle(.failed(failure))
        if attempt <= max {
            #expect(action == .backoff(attempt: attempt, retryAfterSeconds: nil, reason: "down \(attempt)"))
            #expect(machine.handle(.waited) == .probe(url: u1))
        } else {
            #expect(action == .failed(failure))
        }
    }
    #expect(machine.attemptsWithoutProgress == max + 1)
}

@Test("failures of different kinds and phases count together", arguments: [
    // (failures fed in turn; after each a .waited/.probe round where a backoff is returned)
    [TusFailure.transient("a", retryAfterSeconds: nil), .checksumMismatch, .protocolViolation("x"), .refused(status: 400, "")],
    [TusFailure.offsetConflict, .offsetConflict, .offsetConflict, .offsetConflict],
])
func mixedFailuresCount(_ failures: [TusFailure]) {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: 3))
    var last: UploadStateMachine.Action? = nil
    for failure in failures {
        last = machine.handle(.failed(failure))
        if case .backoff = last { _ = machine.handle(.waited) }
    }
    #expect(last == .failed(failures[3]))
    #expect(machine.attemptsWithoutProgress == 4)
}

@Test("a confirmed PATCH resets the attempts counter", arguments: [1, 2, 5])
func progressResetsAttempts(_ max: Int) {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: max))
    for attempt in 1...max {
        #expect(machine.handle(.failed(transient("x"))) == .backoff(attempt: attempt, retryAfterSeconds: nil, reason: "x"))
        #expect(machine.handle(.waited) == .probe(url: u1))
    }
    #expect(machine.attemptsWithoutProgress == max)
    #expect(machine.handle(.probed(offset: 0, length: 10)) == .send(url: u1, offset: 0, length: 4))
    #expect(machine.handle(.sent(newOffset: 4)) == .send(url: u1, offset: 4, length: 4))
    #expect(machine.attemptsWithoutProgress == 0)
    // A full allowance again.
    for attempt in 1...max {
        #expect(machine.handle(.failed(transient("y"))) == .backoff(attempt: attempt, retryAfterSeconds: nil, reason: "y"))
        #expect(machine.handle(.waited) == .probe(url: u1))
    }
    #expect(machine.handle(.failed(transient("z"))) == .failed(transient("z")))
}

@Test("maxAttemptsWithoutProgress nil never gives up (1000 failures)")
func neverGivesUpWhenUnlimited() {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: nil))
    for attempt in 1...1000 {
        let action = machine.handle(.failed(transient("down", attempt % 7 == 0 ? 60 : nil)))
        #expect(action == .backoff(attempt: attempt, retryAfterSeconds: attempt % 7 == 0 ? 60 : nil, reason: "down"))
        #expect(machine.handle(.waited) == .probe(url: u1))
    }
    #expect(machine.attemptsWithoutProgress == 1000)
    #expect(machine.handle(.probed(offset: 4, length: 10)) == .send(url: u1, offset: 4, length: 4))
    #expect(machine.handle(.sent(newOffset: 8)) == .send(url: u1, offset: 8, length: 2))
    #expect(machine.handle(.sent(newOffset: 10)) == .finished(url: u1))
}

@Test("confirmedOffset follows the server's answers")
func confirmedOffsetFollowsServer() {
    var machine = UploadStateMachine(length: 10, chunkSize: 4, retry: RetryPolicy())
    _ = machine.handle(.start(resumeURL: u1))
    _ = machine.handle(.discovered(core))
    #expect(machine.uploadURL == u1)
    _ = machine.handle(.probed(offset: 6, length: 10))
    #expect(machine.confirmedOffset == 6)
    _ = machine.handle(.failed(.uploadGone(status: 404)))
    #expect(machine.uploadURL == nil)
    #expect(machine.confirmedOffset == 0)
    _ = machine.handle(.created(url: u2))
    #expect(machine.uploadURL == u2)
    // A new upload is not progress: only bytes the portal confirms reset the count.
    #expect(machine.attemptsWithoutProgress == 1)
}

// MARK: - Regressions: bugs found by these tests, since fixed

@Test("a HEAD that shows the server gained bytes counts as progress")
func probeProgressResetsAttempts() {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: 2), length: 100, chunkSize: 50)
    var offset: Int64 = 0
    for _ in 1...5 {
        #expect(machine.handle(.failed(transient("dropped mid-chunk"))) == .backoff(attempt: 1, retryAfterSeconds: nil, reason: "dropped mid-chunk"))
        #expect(machine.handle(.waited) == .probe(url: u1))
        offset += 10
        #expect(machine.handle(.probed(offset: offset, length: 100)) == .send(url: u1, offset: offset, length: 50))
    }
}

@Test("an upload whose PATCH always answers 404 eventually gives up, or at least backs off")
func goneLoopGivesUp() {
    var machine = machineAtFirstSend(retry: RetryPolicy(maxAttemptsWithoutProgress: 3))
    var actions: [UploadStateMachine.Action] = []
    for _ in 1...10 {
        let action = machine.handle(.failed(.uploadGone(status: 404)))
        actions.append(action)
        if case .failed = action { break }
        if case .backoff = action { continue }
        actions.append(machine.handle(.created(url: u1)))
    }
    let gaveUp = actions.contains { if case .failed = $0 { return true } else { return false } }
    #expect(gaveUp, "actions: \(actions)")
}
