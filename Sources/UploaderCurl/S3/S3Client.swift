import UploaderCore
import UploaderHashing

/// The S3 requests (multipart, and PutObject for a file of one part), one method each, over one reused connection signed with SigV4 by
/// libcurl. It turns HTTP answers into typed results; deciding what to do next is
/// `S3MultipartMachine`'s job.
///
/// libcurl 7.88's SigV4 needs, measured against a real store: `x-amz-content-sha256` always
/// sent by us (the payload's hex SHA-256 here), `?uploads=` rather than `?uploads`, query
/// parameters sorted (`S3Location.url` sorts them), and no blanked `Expect:` (`CurlConnection`).
final class S3Client {
    /// SHA-256 of no bytes: the payload hash of a request without a body.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let partsPerPage = 1000

    private let connection: CurlConnection
    let location: S3Location

    init(connection: CurlConnection, location: S3Location) {
        self.connection = connection
        self.location = location
    }

    var onProgress: ((Int64) -> Bool)? {
        get { connection.onProgress }
        set { connection.onProgress = newValue }
    }

    private var store: String { "\(location.endpoint) bucket \(location.bucket.debugQuoted)" }

    /// CreateMultipartUpload with the object's metadata; returns the UploadId.
    func create(key: String, contentType: String, metadata: [(String, String)]) throws(TusFailure) -> String {
        var headers: [(name: String, value: String)] = [
            ("x-amz-content-sha256", Self.emptyPayloadSHA256),
            ("Content-Type", contentType.isEmpty ? "application/octet-stream" : contentType),
            ("x-amz-checksum-algorithm", "SHA256"),
        ]
        headers += Self.metadataHeaders(metadata)
        let response = try send(HTTPRequest(method: .post, url: location.url(key: key, query: [("uploads", "")]), headers: headers),
                                "CreateMultipartUpload")
        guard response.status == 200 else { throw S3Failure.from(status: response.status, response: response, request: "CreateMultipartUpload", store: store) }
        guard let id = S3XML(response.body).value("UploadId"), !id.isEmpty, id.utf8.count <= 1024,
              id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw TusFailure.protocolViolation("CreateMultipartUpload answered without a usable UploadId")
        }
        return id
    }

    /// PutObject: a file that fits in one part, in one request, with its metadata and checksum.
    /// Sending it again after a crash writes the same object at the same key: nothing doubles.
    func put(key: String, contentType: String, metadata: [(String, String)], range: HTTPRequest.FileRange,
             sha256: [UInt8]) throws(TusFailure) {
        let checksum = Base64.encode(sha256)
        var headers: [(name: String, value: String)] = [
            ("x-amz-content-sha256", sha256.hexString), ("x-amz-checksum-sha256", checksum),
            ("Content-Type", contentType.isEmpty ? "application/octet-stream" : contentType),
        ]
        headers += Self.metadataHeaders(metadata)
        let response = try send(HTTPRequest(method: .put, url: location.url(key: key), headers: headers, body: range), "PutObject")
        guard response.status == 200 else { throw S3Failure.from(status: response.status, response: response, request: "PutObject", store: store) }
        if let echoed = response[header: "x-amz-checksum-sha256"], echoed != checksum {
            throw TusFailure.checksumMismatch
        }
    }

    /// The object's metadata as `x-amz-meta-` headers: values must be one line of visible ASCII,
    /// anything else is URI-encoded.
    private static func metadataHeaders(_ metadata: [(String, String)]) -> [(name: String, value: String)] {
        metadata.map { name, value in ("x-amz-meta-\(name)", S3Encoding.headerSafe(value)) }
    }

    /// UploadPart: streams `range` of the file; returns the part with the ETag the store gave.
    func uploadPart(key: String, uploadID: String, number: Int, range: HTTPRequest.FileRange,
                    sha256: [UInt8]) throws(TusFailure) -> S3Part {
        let checksum = Base64.encode(sha256)
        let request = HTTPRequest(method: .put, url: location.url(key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)]),
                                  headers: [("x-amz-content-sha256", sha256.hexString), ("x-amz-checksum-sha256", checksum),
                                            ("Content-Type", "application/octet-stream")],
                                  body: range)
        let response = try send(request, "UploadPart \(number)")
        guard response.status == 200 else { throw S3Failure.from(status: response.status, response: response, request: "UploadPart \(number)", store: store) }
        guard let etag = response[header: "etag"], !etag.isEmpty else {
            throw TusFailure.protocolViolation("UploadPart \(number) answered without an ETag")
        }
        if let echoed = response[header: "x-amz-checksum-sha256"], echoed != checksum {
            throw TusFailure.checksumMismatch
        }
        return S3Part(number: number, size: range.length, etag: etag, checksumSHA256: checksum)
    }

    /// ListParts, one page from `marker`; the next marker when there are more.
    func listParts(key: String, uploadID: String, marker: Int) throws(TusFailure) -> (parts: [S3Part], nextMarker: Int?) {
        var query = [("max-parts", String(Self.partsPerPage)), ("uploadId", uploadID)]
        if marker > 0 { query.append(("part-number-marker", String(marker))) }
        var request = HTTPRequest(method: .get, url: location.url(key: key, query: query),
                                  headers: [("x-amz-content-sha256", Self.emptyPayloadSHA256)])
        request.keptResponseBytes = 2 << 20
        let response = try send(request, "ListParts")
        guard response.status == 200 else { throw S3Failure.from(status: response.status, response: response, request: "ListParts", store: store) }
        return try Self.parseListParts(response.body)
    }

    /// One page of a `ListPartsResult`: its parts, and the next marker when it is truncated. The
    /// store's answer is not trusted: a part without a number, size or ETag is a protocol
    /// violation, never a guess.
    static func parseListParts(_ body: [UInt8]) throws(TusFailure) -> (parts: [S3Part], nextMarker: Int?) {
        let xml = S3XML(body)
        var parts: [S3Part] = []
        for block in xml.elements("Part") {
            let part = S3XML(text: block)
            guard let number = part.value("PartNumber").flatMap({ Int($0) }), let size = part.value("Size").flatMap({ Int64($0) }),
                  let etag = part.value("ETag") else {
                throw TusFailure.protocolViolation("ListParts answered a part without a number, size or ETag")
            }
            // Some stores list the ETag without its quotes; CompleteMultipartUpload wants them.
            let quoted = etag.hasPrefix("\"") ? etag : "\"\(etag)\""
            parts.append(S3Part(number: number, size: size, etag: quoted, checksumSHA256: part.value("ChecksumSHA256")))
        }
        let truncated = xml.value("IsTruncated") == "true"
        return (parts, truncated ? xml.value("NextPartNumberMarker").flatMap { Int($0) } : nil)
    }

    /// CompleteMultipartUpload with every part's ETag and checksum.
    func complete(key: String, uploadID: String, parts: [S3Part]) throws(TusFailure) {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag>"
            if let checksum = part.checksumSHA256 { xml += "<ChecksumSHA256>\(S3XML.escape(checksum))</ChecksumSHA256>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        var digest = Digest(.sha256)
        body.withUnsafeBytes { digest.update($0) }
        var request = HTTPRequest(method: .post, url: location.url(key: key, query: [("uploadId", uploadID)]),
                                  headers: [("x-amz-content-sha256", digest.finish().hexString), ("Content-Type", "application/xml")])
        request.bytes = body
        let response = try send(request, "CompleteMultipartUpload")
        // A 200 can still carry an <Error> (the store failed after it started answering).
        guard response.status == 200, S3XML(response.body).value("Code") == nil else {
            throw S3Failure.from(status: response.status == 200 ? 500 : response.status, response: response,
                                 request: "CompleteMultipartUpload", store: store)
        }
    }

    /// AbortMultipartUpload; an upload already gone counts as aborted.
    func abort(key: String, uploadID: String) throws(TusFailure) {
        let response = try send(HTTPRequest(method: .delete, url: location.url(key: key, query: [("uploadId", uploadID)]),
                                            headers: [("x-amz-content-sha256", Self.emptyPayloadSHA256)]), "AbortMultipartUpload")
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            let failure = S3Failure.from(status: response.status, response: response, request: "AbortMultipartUpload", store: store)
            if case .uploadGone = failure { return }
            throw failure
        }
    }

    /// HeadObject: the object's size and its x-amz-meta-sha256, or nil when there is none.
    func head(key: String) throws(TusFailure) -> (size: Int64, sha256: String?)? {
        let response = try send(HTTPRequest(method: .head, url: location.url(key: key),
                                            headers: [("x-amz-content-sha256", Self.emptyPayloadSHA256)]), "HeadObject")
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw S3Failure.from(status: response.status, response: response, request: "HeadObject", store: store) }
        guard let size = response[header: "content-length"].flatMap({ Int64($0) }) else {
            throw TusFailure.protocolViolation("HeadObject answered without a Content-Length")
        }
        return (size, response[header: "x-amz-meta-sha256"])
    }

    private func send(_ request: HTTPRequest, _ name: String) throws(TusFailure) -> HTTPResponse {
        do {
            return try connection.perform(request)
        } catch {
            throw TusFailure.from(error)
        }
    }
}

extension S3Encoding {
    /// A metadata value as one header line: printable ASCII kept, anything else URI-encoded.
    static func headerSafe(_ value: String) -> String {
        value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x25 }) ? value : encode(value)
    }
}
