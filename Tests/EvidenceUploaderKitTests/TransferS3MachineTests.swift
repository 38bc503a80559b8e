@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore
@testable import UploaderCurl

/// Event sequences fed to `S3MultipartMachine`, and the exact action each event must produce.
/// Plans use 12 MiB files in 5 MiB parts: parts of 5, 5 and 2 MiB.

private let mib: Int64 = 1 << 20
private let id = "UP1"

private func part(_ n: Int, _ size: Int64 = 5 << 20, etag: String? = nil, sum: String? = "c\(0)") -> S3Part {
    S3Part(number: n, size: size, etag: etag ?? "\"e\(n)\"", checksumSHA256: sum.map { _ in "c\(n)" })
}

private let p1 = part(1), p2 = part(2), p3 = part(3, 2 << 20)

struct TransferS3Scenario: Sendable, CustomStringConvertible {
    let name: String
    var length: Int64 = 12 << 20
    var retry = RetryPolicy()
    /// `S3UploadSession` sets it: a new one-part file goes as one PutObject.
    var singlePut = false
    /// Parts sent at once (`S3Settings.parallelParts`).
    var parallelParts = 1
    let steps: [(S3MultipartMachine.Event, S3MultipartMachine.Action)]
    var description: String { name }
}

private func send(_ n: Int) -> S3MultipartMachine.Action {
    .send(uploadID: id, number: n, offset: Int64(n - 1) * 5 * mib, length: n == 3 ? 2 * mib : 5 * mib)
}

private func batch(_ numbers: ClosedRange<Int>) -> S3MultipartMachine.Action {
    .sendBatch(uploadID: id, parts: numbers.map {
        S3MultipartMachine.PartRange(number: $0, offset: Int64($0 - 1) * 5 * mib, length: $0 == 3 ? 2 * mib : 5 * mib)
    })
}

private let fresh: [(S3MultipartMachine.Event, S3MultipartMachine.Action)] = [
    (.start(resumeUploadID: nil), .create),
    (.created(uploadID: id), send(1)),
]

private let unauthorized = TusFailure.unauthorized(status: 403, detail: "refused")

private let scenarios: [TransferS3Scenario] = [
    TransferS3Scenario(name: "create, three parts, complete", steps: fresh + [
        (.sent(p1), send(2)), (.sent(p2), send(3)), (.sent(p3), .complete(uploadID: id, parts: [p1, p2, p3])),
        (.completed, .finished(uploadID: id)),
    ]),
    TransferS3Scenario(name: "resume: the server holds parts 1 and 2, both match", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p2, p1], nextMarker: nil), .check(uploadID: id, parts: [p1, p2])),
        (.checked([p1, p2]), send(3)),
        (.sent(p3), .complete(uploadID: id, parts: [p1, p2, p3])),
    ]),
    TransferS3Scenario(name: "resume: a gap keeps only the contiguous parts", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p1, p3], nextMarker: nil), .check(uploadID: id, parts: [p1])),
        (.checked([p1]), send(2)),
    ]),
    TransferS3Scenario(name: "resume: a part of the wrong size is sent again", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([part(1, 4 << 20)], nextMarker: nil), send(1)),
    ]),
    TransferS3Scenario(name: "resume: a digest that does not match is sent again from there", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p1, p2], nextMarker: nil), .check(uploadID: id, parts: [p1, p2])),
        (.checked([p1]), send(2)),
    ]),
    TransferS3Scenario(name: "resume: ListParts paged", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p1], nextMarker: 1), .listParts(uploadID: id, marker: 1)),
        (.listed([p2], nextMarker: nil), .check(uploadID: id, parts: [p1, p2])),
    ]),
    TransferS3Scenario(name: "resume: a marker that does not move forward ends the listing", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p1], nextMarker: 1), .listParts(uploadID: id, marker: 1)),
        (.listed([p1], nextMarker: 1), .check(uploadID: id, parts: [p1])),
    ]),
    TransferS3Scenario(name: "resume: NoSuchUpload and no object: start again", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.failed(.uploadGone(status: 404)), .headObject),
        (.headed(holdsFile: false), .create),
        (.created(uploadID: "UP2"), .send(uploadID: "UP2", number: 1, offset: 0, length: 5 * mib)),
    ]),
    TransferS3Scenario(name: "resume: NoSuchUpload, the object is complete (a lost Complete answer)", steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.failed(.uploadGone(status: 404)), .headObject),
        (.headed(holdsFile: true), .finished(uploadID: id)),
    ]),
    TransferS3Scenario(name: "NoSuchUpload while sending: a new upload at once", steps: fresh + [
        (.failed(.uploadGone(status: 404)), .create),
    ]),
    TransferS3Scenario(name: "credentials refused: fail (the destination pauses)", steps: fresh + [
        (.failed(unauthorized), .failed(unauthorized)),
    ]),
    TransferS3Scenario(name: "credentials refused at create", steps: [
        (.start(resumeUploadID: nil), .create), (.failed(unauthorized), .failed(unauthorized)),
    ]),
    TransferS3Scenario(name: "too large: fail (rejected)", steps: [
        (.start(resumeUploadID: nil), .create), (.failed(.tooLarge("big")), .failed(.tooLarge("big"))),
    ]),
    TransferS3Scenario(name: "SlowDown while sending: back off, then the same part", steps: fresh + [
        (.failed(.transient("SlowDown", retryAfterSeconds: 3)), .backoff(attempt: 1, retryAfterSeconds: 3, reason: "SlowDown")),
        (.waited, send(1)),
        (.sent(p1), send(2)),
    ]),
    TransferS3Scenario(name: "5xx at create: back off and create again", steps: [
        (.start(resumeUploadID: nil), .create),
        (.failed(.transient("500", retryAfterSeconds: nil)), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "500")),
        (.waited, .create),
    ]),
    TransferS3Scenario(name: "BadDigest: the part is sent again at once", steps: fresh + [
        (.failed(.checksumMismatch), send(1)),
        (.failed(.checksumMismatch), send(1)),
        (.sent(p1), send(2)),
    ]),
    TransferS3Scenario(name: "InvalidPart at complete: list the parts again", length: 5 << 20, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), send(1)),
        (.sent(p1), .complete(uploadID: id, parts: [p1])),
        (.failed(.offsetConflict), .listParts(uploadID: id, marker: 0)),
    ]),
    TransferS3Scenario(name: "a lost Complete answer: NoSuchUpload, the object says done", length: 5 << 20, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), send(1)),
        (.sent(p1), .complete(uploadID: id, parts: [p1])),
        (.failed(.transient("reset", retryAfterSeconds: nil)), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "reset")),
        (.waited, .complete(uploadID: id, parts: [p1])),
        (.failed(.uploadGone(status: 404)), .headObject),
        (.headed(holdsFile: true), .finished(uploadID: id)),
    ]),
    TransferS3Scenario(name: "an acknowledgement for another part is a protocol violation", steps: fresh + [
        (.sent(p2), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "the portal answered outside the tus protocol: part 2 acknowledged while part 1 was sent")),
    ]),
    TransferS3Scenario(name: "gives up after the attempt limit", retry: RetryPolicy(maxAttemptsWithoutProgress: 1), steps: [
        (.start(resumeUploadID: nil), .create),
        (.failed(.transient("x", retryAfterSeconds: nil)), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "x")),
        (.waited, .create),
        (.failed(.transient("x", retryAfterSeconds: nil)), .failed(.transient("x", retryAfterSeconds: nil))),
    ]),
    TransferS3Scenario(name: "stopped", steps: fresh + [(.failed(.cancelled), .failed(.cancelled))]),
    TransferS3Scenario(name: "parallel parts: three at once, then complete", parallelParts: 3, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), batch(1...3)),
        (.sentBatch([.success(p1), .success(p2), .success(p3)]), .complete(uploadID: id, parts: [p1, p2, p3])),
        (.completed, .finished(uploadID: id)),
    ]),
    TransferS3Scenario(name: "parallel parts: two at once, then the last alone", parallelParts: 2, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), batch(1...2)),
        (.sentBatch([.success(p1), .success(p2)]), send(3)),
        (.sent(p3), .complete(uploadID: id, parts: [p1, p2, p3])),
    ]),
    TransferS3Scenario(name: "parallel parts: a failed part keeps those before it; it and those after go again", parallelParts: 3, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), batch(1...3)),
        (.sentBatch([.success(p1), .failure(.transient("reset", retryAfterSeconds: nil)), .success(p3)]),
         .backoff(attempt: 1, retryAfterSeconds: nil, reason: "reset")),
        (.waited, batch(2...3)),
        (.sentBatch([.success(p2), .success(p3)]), .complete(uploadID: id, parts: [p1, p2, p3])),
    ]),
    TransferS3Scenario(name: "parallel parts: BadDigest sends the damaged part and the rest again at once", parallelParts: 3, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), batch(1...3)),
        (.sentBatch([.success(p1), .success(p2), .failure(.checksumMismatch)]), send(3)),
    ]),
    TransferS3Scenario(name: "parallel parts: resume after the store's contiguous parts", parallelParts: 3, steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
        (.listed([p1, p3], nextMarker: nil), .check(uploadID: id, parts: [p1])),
        (.checked([p1]), batch(2...3)),
    ]),
    TransferS3Scenario(name: "parallel parts: an answer for parts not sent is a protocol violation", parallelParts: 3, steps: [
        (.start(resumeUploadID: nil), .create),
        (.created(uploadID: id), batch(1...3)),
        (.sentBatch([.success(p1)]), .backoff(attempt: 1, retryAfterSeconds: nil, reason: "the portal answered outside the tus protocol: parts acknowledged that were not sent")),
    ]),
    TransferS3Scenario(name: "single PUT: a one-part file is one PutObject", length: 2 << 20, singlePut: true, steps: [
        (.start(resumeUploadID: nil), .put),
        (.stored, .finished(uploadID: nil)),
    ]),
    TransferS3Scenario(name: "single PUT: a file of several parts is still multipart", singlePut: true, steps: fresh),
    TransferS3Scenario(name: "single PUT: a journalled multipart upload is resumed as one", length: 2 << 20, singlePut: true, steps: [
        (.start(resumeUploadID: id), .listParts(uploadID: id, marker: 0)),
    ]),
    TransferS3Scenario(name: "single PUT: BadDigest sends it again at once, three times, then backs off", length: 2 << 20, singlePut: true, steps: [
        (.start(resumeUploadID: nil), .put),
        (.failed(.checksumMismatch), .put), (.failed(.checksumMismatch), .put), (.failed(.checksumMismatch), .put),
        (.failed(.checksumMismatch), .backoff(attempt: 1, retryAfterSeconds: nil, reason: TusFailure.checksumMismatch.summary)),
        (.waited, .put),
        (.stored, .finished(uploadID: nil)),
    ]),
    TransferS3Scenario(name: "single PUT: a busy store is waited for, then the PUT is sent again", length: 2 << 20, singlePut: true, steps: [
        (.start(resumeUploadID: nil), .put),
        (.failed(.transient("SlowDown", retryAfterSeconds: 2)), .backoff(attempt: 1, retryAfterSeconds: 2, reason: "SlowDown")),
        (.waited, .put),
    ]),
    TransferS3Scenario(name: "single PUT: refused credentials stop it", length: 2 << 20, singlePut: true, steps: [
        (.start(resumeUploadID: nil), .put),
        (.failed(unauthorized), .failed(unauthorized)),
    ]),
    TransferS3Scenario(name: "single PUT: a stray PutObject answer is a protocol violation", singlePut: true, steps: fresh + [
        (.stored, .backoff(attempt: 1, retryAfterSeconds: nil, reason: "the portal answered outside the tus protocol: PutObject answered while none was sent")),
    ]),
]

@Test(arguments: scenarios)
func s3MachineScenario(_ scenario: TransferS3Scenario) {
    var machine = S3MultipartMachine(plan: S3PartPlan(length: scenario.length, partSize: 5 << 20), retry: scenario.retry,
                                     singlePut: scenario.singlePut, parallelParts: scenario.parallelParts)
    for (index, (event, expected)) in scenario.steps.enumerated() {
        let action = machine.handle(event)
        #expect(action == expected, "step \(index): \(event)")
    }
}

struct TransferS3PlanCase: Sendable, CustomStringConvertible {
    let length: Int64
    let configured: Int64
    let size: Int64
    let count: Int
    var description: String { "\(length) bytes in \(configured)" }
}

private let planCases: [TransferS3PlanCase] = [
    TransferS3PlanCase(length: 0, configured: 16 << 20, size: 16 << 20, count: 1),
    TransferS3PlanCase(length: 1, configured: 16 << 20, size: 16 << 20, count: 1),
    TransferS3PlanCase(length: 16 << 20, configured: 16 << 20, size: 16 << 20, count: 1),
    TransferS3PlanCase(length: (16 << 20) + 1, configured: 16 << 20, size: 16 << 20, count: 2),
    // never below 5 MiB
    TransferS3PlanCase(length: 1 << 20, configured: 1 << 20, size: 5 << 20, count: 1),
    // grown (in whole MiB) so the file fits in 10,000 parts
    TransferS3PlanCase(length: 200_000 << 20, configured: 16 << 20, size: 20 << 20, count: 10_000),
    TransferS3PlanCase(length: (200_000 << 20) + 1, configured: 16 << 20, size: 21 << 20, count: 9_524),
]

@Test(arguments: planCases)
func s3PartPlan(_ c: TransferS3PlanCase) {
    let plan = S3PartPlan(length: c.length, partSize: c.configured)
    #expect(plan.partSize == c.size)
    #expect(plan.count == c.count)
    #expect(plan.count <= S3PartPlan.maximumParts)
    let total = (1...plan.count).reduce(Int64(0)) { $0 + plan.size(of: $1) }
    #expect(total == c.length)
}
@Test func s3ReferenceRoundTrips() {
    let reference = S3UploadReference(bucket: "evidence", key: "12345/8711-305/1234/wall clip?&.mp4", uploadID: "a+b/c=")
    #expect(reference.text == "s3://evidence/12345/8711-305/1234/wall%20clip%3F%26.mp4?uploadId=a%2Bb%2Fc%3D")
    #expect(S3UploadReference(reference.text) == reference)
    #expect(S3UploadReference("https://portal.example/files/1") == nil)
    #expect(S3UploadReference("s3://evidence/key") == nil)
    // A single PutObject's reference (receipt only) is never taken for an upload to resume.
    let object = S3ObjectReference(bucket: "evidence", key: "12345/8711-305/1234/a b.pdf")
    #expect(object.text == "s3://evidence/12345/8711-305/1234/a%20b.pdf")
    #expect(S3UploadReference(object.text) == nil)
}

@Test func s3LocationAddressing() {
    let local = S3Location(endpoint: "http://127.0.0.1:8333/", bucket: "evidence")
    #expect(!local.virtualHosted)
    #expect(local.url(key: "a b/c.mp4", query: [("uploadId", "X"), ("partNumber", "2")])
            == "http://127.0.0.1:8333/evidence/a%20b/c.mp4?partNumber=2&uploadId=X")
    #expect(local.url(key: "k", query: [("uploads", "")]) == "http://127.0.0.1:8333/evidence/k?uploads=")
    let aws = S3Location(endpoint: "https://s3.eu-west-2.amazonaws.com", bucket: "evidence")
    #expect(aws.virtualHosted)
    #expect(aws.url(key: "k") == "https://evidence.s3.eu-west-2.amazonaws.com/k")
    #expect(aws.origin?.host == "evidence.s3.eu-west-2.amazonaws.com")
}

@Test func s3KeyTemplate() {
    #expect(S3KeyTemplate.key(S3KeyTemplate.defaultTemplate, centre: "12345", unit: "8711-305", candidate: "1234", file: "wall.mp4")
            == "12345/8711-305/1234/wall.mp4")
    #expect(S3KeyTemplate.problem("{centre}/{unit}") != nil)
    #expect(S3KeyTemplate.problem("{centre}/{file}") == nil)
    #expect(S3KeyTemplate.problem("{center}/{file}") != nil)
    #expect(S3KeyTemplate.problem("/{file}") != nil)
}

private func response(_ status: Int, _ xml: String) -> HTTPResponse {
    HTTPResponse(status: status, headers: [:], body: Array(xml.utf8))
}

private func error(_ code: String) -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>m</Message></Error>"
}

private let failureCases: [(Int, String, String)] = [
    (403, "SignatureDoesNotMatch", "unauthorized"), (403, "InvalidAccessKeyId", "unauthorized"),
    (403, "AccessDenied", "unauthorized"), (404, "NoSuchBucket", "unauthorized"),
    (404, "NoSuchUpload", "uploadGone"), (400, "BadDigest", "checksumMismatch"),
    (400, "XAmzContentSHA256Mismatch", "checksumMismatch"), (400, "EntityTooLarge", "tooLarge"),
    (503, "SlowDown", "transient"), (500, "InternalError", "transient"), (502, "", "transient"),
    (400, "InvalidPart", "offsetConflict"), (400, "MalformedXML", "refused"), (403, "", "unauthorized"),
]

@Test(arguments: failureCases)
func s3FailureClassification(_ status: Int, _ code: String, _ kind: String) {
    let failure = S3Failure.from(status: status, response: response(status, code.isEmpty ? "" : error(code)),
                                 request: "UploadPart 1", store: "http://s3 bucket \"b\"")
    let got: String
    switch failure {
    case .unauthorized: got = "unauthorized"
    case .uploadGone: got = "uploadGone"
    case .checksumMismatch: got = "checksumMismatch"
    case .tooLarge: got = "tooLarge"
    case .transient: got = "transient"
    case .offsetConflict: got = "offsetConflict"
    case .refused: got = "refused"
    default: got = "\(failure)"
    }
    #expect(got == kind, "\(code): \(failure)")
}

@Test func s3UnauthorizedNamesTheKeysNotTheSecret() {
    let failure = S3Failure.from(status: 403, response: response(403, error("SignatureDoesNotMatch")),
                                 request: "CreateMultipartUpload", store: "http://s3 bucket \"b\"")
    #expect(failure.summary.contains("access_key_id"))
    #expect(failure.summary.contains("SignatureDoesNotMatch"))
}

@Test func s3ListPartsParses() {
    let xml = S3XML(text: """
    <ListPartsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
    <Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag><Size>5242880</Size><ChecksumSHA256>x+y=</ChecksumSHA256></Part>
    <Part><PartNumber>2</PartNumber><ETag>"def"</ETag><Size>10</Size></Part></ListPartsResult>
    """)
    let parts = xml.elements("Part").map { S3XML(text: $0) }
    #expect(parts.count == 2)
    #expect(parts[0].value("ETag") == "\"abc\"")
    #expect(parts[0].value("ChecksumSHA256") == "x+y=")
    #expect(parts[1].value("ChecksumSHA256") == nil)
    #expect(xml.value("NextPartNumberMarker") == "2")
    #expect(S3XML.escape("\"a&b\"") == "&quot;a&amp;b&quot;")
}

@Test func s3ListPartsPageIsReadOrRefused() throws {
    let page = try S3Client.parseListParts(Array("""
    <ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
    <Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag><Size>5242880</Size><ChecksumSHA256>x+y=</ChecksumSHA256></Part>
    <Part><PartNumber>2</PartNumber><ETag>def</ETag><Size>10</Size></Part></ListPartsResult>
    """.utf8))
    #expect(page.parts == [S3Part(number: 1, size: 5_242_880, etag: "\"abc\"", checksumSHA256: "x+y="),
                           S3Part(number: 2, size: 10, etag: "\"def\"", checksumSHA256: nil)])  // quotes added
    #expect(page.nextMarker == 2)
    let last = try S3Client.parseListParts(Array("<ListPartsResult><IsTruncated>false</IsTruncated><NextPartNumberMarker>9</NextPartNumberMarker></ListPartsResult>".utf8))
    #expect(last.parts.isEmpty && last.nextMarker == nil)
    #expect(throws: TusFailure.self) {
        try S3Client.parseListParts(Array("<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part></ListPartsResult>".utf8))
    }
}
