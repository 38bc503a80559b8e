import UploaderHashing

/// The tus 1.0.0 requests, one method each, over one reused connection. It turns HTTP
/// answers into typed results; deciding what to do next is `UploadStateMachine`'s job.
package final class TusClient {
    static let version = "1.0.0"
    private let connection: CurlConnection

    package init(connection: CurlConnection) {
        self.connection = connection
    }

    var onProgress: ((Int64) -> Bool)? {
        get { connection.onProgress }
        set { connection.onProgress = newValue }
    }

    /// OPTIONS: the server's versions, extensions, maximum size and checksum algorithms.
    func discover(endpoint: String) throws(TusFailure) -> TusCapabilities {
        let response = try send(HTTPRequest(method: .options, url: endpoint))
        guard response.status == 200 || response.status == 204 else {
            throw TusFailure.from(status: response.status, response: response, onUploadURL: false)
        }
        return TusCapabilities(headers: response.headers)
    }

    /// POST: creates an upload of `length` bytes and returns its absolute URL.
    func create(endpoint: String, length: Int64, metadata: TusMetadata) throws(TusFailure) -> String {
        let request = HTTPRequest(method: .post, url: endpoint, headers: [
            ("Tus-Resumable", Self.version),
            ("Upload-Length", String(length)),
            ("Upload-Metadata", metadata.headerValue),
        ])
        let response = try send(request)
        guard response.status == 201 else {
            throw TusFailure.from(status: response.status, response: response, onUploadURL: false)
        }
        guard let location = response[header: "location"], !location.isEmpty else {
            throw TusFailure.protocolViolation("201 Created without a Location header")
        }
        // A URL with control characters is not one; refusing it also keeps NUL bytes out of the
        // journal, whose resynchronisation after damage relies on strings never holding a frame.
        guard location.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }), location.utf8.count <= 4096 else {
            throw TusFailure.protocolViolation("Location header is not a usable URL")
        }
        guard let creation = ParsedURL.parse(endpoint), let upload = ParsedURL.resolve(location, against: endpoint) else {
            throw TusFailure.protocolViolation("Location header is not a usable URL")
        }
        if let refusal = connection.settings.origins.refusal(of: upload, createdAt: creation) {
            throw TusFailure.untrustedLocation(refusal)
        }
        return upload.text
    }

    /// HEAD: where the server stands. Its offset is the truth.
    func probe(url: String) throws(TusFailure) -> (offset: Int64, length: Int64?) {
        let (offset, length, _) = try probeWithMetadata(url: url)
        return (offset, length)
    }

    /// HEAD, also returning the `Upload-Metadata` the server echoes (servers echo some or all keys).
    package func probeWithMetadata(url: String) throws(TusFailure) -> (offset: Int64, length: Int64?, metadata: TusMetadata?) {
        let response = try send(HTTPRequest(method: .head, url: url, headers: [("Tus-Resumable", Self.version)]))
        guard response.status == 200 || response.status == 204 else {
            throw TusFailure.from(status: response.status, response: response, onUploadURL: true)
        }
        guard let offset = response[header: "upload-offset"].flatMap(Self.offset) else {
            throw TusFailure.protocolViolation("HEAD answer without a valid Upload-Offset")
        }
        return (offset, response[header: "upload-length"].flatMap { Int64($0) },
                response[header: "upload-metadata"].flatMap { TusMetadata.parse($0) })
    }

    struct Appended: Sendable, Equatable {
        var offset: Int64
        var sendSeconds: Double
        var waitSeconds: Double
    }

    /// PATCH: streams `range` of the file at `offset`; returns the server's new offset and how
    /// long sending and then waiting for the answer took.
    func append(url: String, offset: Int64, range: HTTPRequest.FileRange, checksum: (Digest.Algorithm, [UInt8])?) throws(TusFailure) -> Appended {
        var headers: [(name: String, value: String)] = [
            ("Tus-Resumable", Self.version),
            ("Upload-Offset", String(offset)),
            ("Content-Type", "application/offset+octet-stream"),
        ]
        if let (algorithm, digest) = checksum {
            headers.append(("Upload-Checksum", "\(algorithm.tusName) \(Base64.encode(digest))"))
        }
        let response = try send(HTTPRequest(method: .patch, url: url, headers: headers, body: range))
        guard response.status == 204 || response.status == 200 else {
            throw TusFailure.from(status: response.status, response: response, onUploadURL: true)
        }
        guard let newOffset = response[header: "upload-offset"].flatMap(Self.offset) else {
            throw TusFailure.protocolViolation("PATCH answer without a valid Upload-Offset")
        }
        return Appended(offset: newOffset, sendSeconds: response.sendSeconds, waitSeconds: response.waitSeconds)
    }

    /// DELETE (termination extension): tells the server an upload is abandoned.
    func terminate(url: String) throws(TusFailure) {
        let response = try send(HTTPRequest(method: .delete, url: url, headers: [("Tus-Resumable", Self.version)]))
        guard response.status == 204 || response.status == 200 || response.status == 404 || response.status == 410 else {
            throw TusFailure.from(status: response.status, response: response, onUploadURL: true)
        }
    }

    /// An `Upload-Offset` value: ASCII digits only (no sign, no spaces), within Int64.
    static func offset(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    private func send(_ request: HTTPRequest) throws(TusFailure) -> HTTPResponse {
        do {
            return try connection.perform(request)
        } catch {
            throw TusFailure.from(error)
        }
    }
}
