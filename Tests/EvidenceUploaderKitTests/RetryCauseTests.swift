@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore
@testable import UploaderCurl
@testable import UploaderSystem

// Every failure says its own retry cause (the metrics label); nothing reads it back from a message.

private func portal(_ status: Int, onUploadURL: Bool = true) -> TusFailure {
    TusFailure.from(status: status, response: HTTPResponse(status: status, headers: [:], body: []), onUploadURL: onUploadURL)
}

private func curl(_ kind: TransportError.Kind) -> TusFailure {
    TusFailure.from(TransportError(kind: kind, message: "m", bytesSent: 0))
}

@Test("TusFailure.retryCause", arguments: [
    (portal(503), RetryCause.portalError), (portal(500), .portalError), (portal(599), .portalError),
    (portal(408), .portalBusy), (portal(423), .portalBusy), (portal(425), .portalBusy), (portal(429), .portalBusy),
    (portal(409), .offsetConflict), (portal(460), .checksumMismatch),
    (portal(404), .uploadGone), (portal(410), .uploadGone),
    (portal(413), .requestTooLarge), (portal(413, onUploadURL: false), .requestTooLarge),
    (portal(401), .unauthorized), (portal(403), .unauthorized),
    (portal(400), .other), (portal(418), .other),
    (curl(.network), .network), (curl(.timeout), .timeout), (curl(.tls), .tls),
    (curl(.cancelled), .other), (curl(.local), .other), (curl(.refusedOrigin), .other),
    (.transient("link down", retryAfterSeconds: nil), .other),
    (.protocolViolation("x"), .other), (.fileChanged, .other), (.notRecorded("full"), .other),
] as [(TusFailure, RetryCause)])
func tusFailureRetryCause(_ failure: TusFailure, _ expected: RetryCause) {
    #expect(failure.retryCause == expected, "\(failure)")
}

@Test("TransportError.retryCause", arguments: [
    (TransportError.Kind.network, RetryCause.network), (.timeout, .timeout), (.tls, .tls),
    (.cancelled, .other), (.local, .other), (.refusedOrigin, .other),
] as [(TransportError.Kind, RetryCause)])
func transportErrorRetryCause(_ kind: TransportError.Kind, _ expected: RetryCause) {
    #expect(TransportError(kind: kind, message: "m", bytesSent: 0).retryCause == expected)
}

private func s3(_ status: Int, _ code: String) -> TusFailure {
    let xml = code.isEmpty ? "" : "<Error><Code>\(code)</Code><Message>m</Message></Error>"
    return S3Failure.from(status: status, response: HTTPResponse(status: status, headers: [:], body: Array(xml.utf8)),
                          request: "UploadPart 1", store: "http://s3 bucket \"b\"")
}

@Test("S3 failures' retry causes", arguments: [
    (503, "SlowDown", RetryCause.portalError), (500, "InternalError", .portalError), (503, "ServiceUnavailable", .portalError),
    (400, "RequestTimeout", .timeout), (403, "RequestTimeTooSkewed", .other), (409, "OperationAborted", .other),
    (502, "", .portalError), (429, "", .portalBusy), (408, "", .portalBusy),
    (404, "NoSuchUpload", .uploadGone), (400, "BadDigest", .checksumMismatch), (400, "InvalidPart", .offsetConflict),
    (403, "AccessDenied", .unauthorized), (400, "EntityTooLarge", .requestTooLarge), (400, "MalformedXML", .other),
] as [(Int, String, RetryCause)])
func s3FailureRetryCause(_ status: Int, _ code: String, _ expected: RetryCause) {
    #expect(s3(status, code).retryCause == expected, "\(status) \(code)")
}

@Test("the cause takes no part in equality; Retry-After is read from the failure")
func transientCauseAndRetryAfter() {
    #expect(TusFailure.transient("x", retryAfterSeconds: 3, cause: TransientCause(.timeout)) == .transient("x", retryAfterSeconds: 3))
    #expect(TusFailure.transient("x", retryAfterSeconds: 3) != .transient("y", retryAfterSeconds: 3))
    #expect(TusFailure.transient("x", retryAfterSeconds: 3).retryAfterSeconds == 3)
    #expect(TusFailure.offsetConflict.retryAfterSeconds == nil)
}

/// Records what a session tells its observer of retries.
private final class RetryRecorder: UploadObserver {
    var retries: [(seconds: Double, attempt: Int, cause: RetryCause, reason: String)] = []
    func uploadCreated(url: String) throws(EvidenceError) {}
    func offsetConfirmed(_ offset: Int64, of length: Int64) throws(EvidenceError) {}
    func resuming(url: String, from offset: Int64) {}
    func progress(_ bytes: Int64) {}
    func retrying(inSeconds seconds: Double, attempt: Int, cause: RetryCause, reason: String) {
        retries.append((seconds, attempt, cause, reason))
    }
    func abandoned(url: String) {}
    func requestLimitLearned(_ limit: UploadStateMachine.RequestLimit, failedSize: Int64) {}
}

@Test func backoffSaysTheCauseOfTheFailureItAnswers() throws {
    let observer = RetryRecorder()
    var backoff = Backoff(policy: RetryPolicy(initialDelaySeconds: 0), stop: StopSignal())
    try backoff.wait(attempt: 1, retryAfterSeconds: nil, reason: "before any failure", observer: observer)
    backoff.remember(portal(429))
    try backoff.wait(attempt: 2, retryAfterSeconds: nil, reason: "busy", observer: observer)
    backoff.remember(curl(.timeout))
    try backoff.wait(attempt: 3, retryAfterSeconds: nil, reason: "slow", observer: observer)
    backoff.retryingNow(after: .offsetConflict, attempt: 4, observer: observer)
    #expect(observer.retries.map(\.cause) == [.other, .portalBusy, .timeout, .offsetConflict])
    #expect(observer.retries.map(\.attempt) == [1, 2, 3, 4])
    #expect(observer.retries.map(\.seconds) == [0, 0, 0, 0])
    #expect(observer.retries.last?.reason == "the portal reported a different offset (409)")
}

@Test func backoffEndsAsCancelledWhenStopped() {
    let stop = StopSignal()
    stop.raise()
    var backoff = Backoff(policy: RetryPolicy(initialDelaySeconds: 5), stop: stop)
    #expect(throws: TusFailure.cancelled) {
        try backoff.wait(attempt: 1, retryAfterSeconds: nil, reason: "r", observer: nil)
    }
}

@Test("the board counts retries by the cause it is given", arguments: RetryCause.allCases)
func boardCountsRetriesByCause(_ cause: RetryCause) {
    let board = StatusBoard(stateDirectory: "/nonexistent")
    board.set("a.mp4", state: .uploading, size: 10, id: 1)
    board.set("a.mp4", state: .retrying, size: 10, message: "whatever the words", retryCause: cause)
    let counters = board.snapshot().counters?.first { $0.destination == "" }
    #expect(counters?.retries == [cause.rawValue: 1])
}

@Test func failureStreakGivesUpWhereThePolicySays() {
    var streak = FailureStreak(policy: RetryPolicy(maxAttemptsWithoutProgress: 2))
    let allowed = (1...3).map { _ in streak.allowsAnother() }
    #expect(allowed == [true, true, false])
    #expect(streak.count == 3)
    streak.reset()
    #expect(streak.count == 0)
    #expect(FailureStreak(policy: RetryPolicy(maxAttemptsWithoutProgress: nil)).count == 0)
}
