@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

struct TransferStatusCase: Sendable, CustomStringConvertible {
    let status: Int
    var headers: [String: String] = [:]
    var body = ""
    var onUploadURL = true
    let expected: TusFailure
    var description: String { "\(status)\(onUploadURL ? " on upload URL" : " on endpoint") \(headers)" }
}

private func transient(_ status: Int, _ seconds: Int? = nil) -> TusFailure {
    .transient("the portal answered \(status)", retryAfterSeconds: seconds)
}

let transferStatusCases: [TransferStatusCase] = [
    TransferStatusCase(status: 401, onUploadURL: false, expected: .unauthorized(status: 401)),
    TransferStatusCase(status: 401, expected: .unauthorized(status: 401)),
    TransferStatusCase(status: 403, expected: .unauthorized(status: 403)),
    TransferStatusCase(status: 404, expected: .uploadGone(status: 404)),
    TransferStatusCase(status: 410, expected: .uploadGone(status: 410)),
    TransferStatusCase(status: 410, body: "gone", onUploadURL: false, expected: .refused(status: 410, "gone")),
    TransferStatusCase(status: 409, expected: .offsetConflict),
    TransferStatusCase(status: 409, onUploadURL: false, expected: .offsetConflict),
    TransferStatusCase(status: 413, onUploadURL: false, expected: .tooLarge("the portal said the file is too large (413)")),
    TransferStatusCase(status: 429, headers: ["retry-after": "30"], expected: transient(429, 30)),
    TransferStatusCase(status: 429, headers: ["retry-after": " 7 "], expected: transient(429, 7)),
    TransferStatusCase(status: 429, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"], expected: transient(429)),
    TransferStatusCase(status: 429, expected: transient(429)),
    TransferStatusCase(status: 460, expected: .checksumMismatch),
    TransferStatusCase(status: 500, expected: transient(500)),
    TransferStatusCase(status: 500, body: "boom", onUploadURL: false, expected: transient(500)),
    TransferStatusCase(status: 503, headers: ["retry-after": "120"], expected: transient(503, 120)),
    TransferStatusCase(status: 599, expected: transient(599)),
    TransferStatusCase(status: 408, expected: transient(408)),
    TransferStatusCase(status: 423, expected: transient(423)),
    TransferStatusCase(status: 400, body: "bad request\r\nmore", onUploadURL: false, expected: .refused(status: 400, "bad requestmore")),
    TransferStatusCase(status: 400, expected: .refused(status: 400, "")),
    TransferStatusCase(status: 405, onUploadURL: false, expected: .refused(status: 405, "")),
    TransferStatusCase(status: 418, body: "teapot", expected: .refused(status: 418, "teapot")),
]

@Test("TusFailure.from(status:response:onUploadURL:)", arguments: transferStatusCases)
func tusFailureFromStatus(_ c: TransferStatusCase) {
    let response = HTTPResponse(status: c.status, headers: c.headers, body: Array(c.body.utf8))
    #expect(TusFailure.from(status: c.status, response: response, onUploadURL: c.onUploadURL) == c.expected)
}

@Test("404 on the creation endpoint is a refusal, not a gone upload")
func tusFailure404OnEndpoint() {
    let response = HTTPResponse(status: 404, headers: [:], body: Array("no such endpoint".utf8))
    #expect(TusFailure.from(status: 404, response: response, onUploadURL: false) == .refused(status: 404, "no such endpoint"))
}

@Test("TusFailure.from(TransportError)", arguments: [
    (TransportError.Kind.network, TusFailure.transient("m", retryAfterSeconds: nil)),
    (.timeout, .transient("m", retryAfterSeconds: nil)),
    (.tls, .tls("m")),
    (.cancelled, .cancelled),
    (.local, .localRead("m")),
])
func tusFailureFromTransport(_ kind: TransportError.Kind, _ expected: TusFailure) {
    #expect(TusFailure.from(TransportError(kind: kind, message: "m", bytesSent: 0)) == expected)
}

@Test("TusFailure.summary", arguments: [
    (TusFailure.transient("link down", retryAfterSeconds: 3), "link down"),
    (.offsetConflict, "the portal reported a different offset (409)"),
    (.uploadGone(status: 410), "the portal no longer knows this upload (410)"),
    (.refused(status: 400, ""), "the portal refused the upload (400)"),
    (.refused(status: 400, "bad"), "the portal refused the upload (400): bad"),
    (.unauthorized(status: 401), "the portal refused the centre's credentials (401): check the centre number and password"),
    (.cancelled, "stopped"),
])
func tusFailureSummary(_ failure: TusFailure, _ expected: String) {
    #expect(failure.summary == expected)
    #expect(failure.isTransient == (expected == "link down"))
}
