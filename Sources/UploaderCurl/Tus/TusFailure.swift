/// Why one tus request did not do what it should, classified for the retry policy.
package enum TusFailure: Error, Sendable, Equatable {
    /// Try again later: the link dropped, a timeout, a 5xx, a 429 or a 423. `cause`: which of
    /// these, for the metrics (it takes no part in equality).
    case transient(String, retryAfterSeconds: Int?, cause: TransientCause = TransientCause(.other))
    /// 409: the offset we sent is not the server's; ask it again (HEAD) and continue.
    case offsetConflict
    /// 404 or 410 on an upload URL: expired or unknown; a new upload is needed.
    case uploadGone(status: Int)
    /// 460: the chunk's checksum did not match what the server received.
    case checksumMismatch
    /// 401 or 403: the password or the account is wrong. `detail`: the operator's message when
    /// the protocol says more than the status (S3's error codes).
    case unauthorized(status: Int, detail: String? = nil)
    /// 413 to the creation POST, or larger than the server's Tus-Max-Size: the file is too large.
    case tooLarge(String)
    /// 413 to a PATCH: the request body was over what the portal (or a proxy before it) takes.
    /// Says nothing about the file: send smaller chunks.
    case bodyTooLarge
    /// The portal pointed the upload at an origin the config does not trust: nothing was sent
    /// there. An operator's matter (config or portal), never the exams officer's.
    case untrustedLocation(String)
    /// The certificate could not be verified, or the pin did not match.
    case tls(String)
    /// The server answered something the protocol does not allow.
    case protocolViolation(String)
    /// Any other 4xx: the portal refused this upload.
    case refused(status: Int, String)
    /// The file could not be read.
    case localRead(String)
    /// The file changed (size or mtime) while it was being uploaded: the upload is not finished.
    case fileChanged
    /// A step could not be recorded (the journal): the upload stops here, resumable.
    case notRecorded(String)
    /// Stopped on purpose (shutdown).
    case cancelled

    var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    package var summary: String {
        switch self {
        case let .transient(message, _, _): return message
        case .offsetConflict: return "the portal reported a different offset (409)"
        case let .uploadGone(status): return "the portal no longer knows this upload (\(status))"
        case .checksumMismatch: return "the portal received a chunk whose checksum did not match (460)"
        case let .unauthorized(_, detail?): return detail
        case let .unauthorized(status, nil): return "the portal refused the centre's credentials (\(status)): check the centre number and password"
        case let .tooLarge(message): return message
        case .bodyTooLarge: return "the portal refused a chunk as too large (413)"
        case let .untrustedLocation(message): return message
        case let .tls(message): return "the portal's certificate could not be verified: \(message)"
        case let .protocolViolation(message): return "the portal answered outside the tus protocol: \(message)"
        case let .refused(status, message): return "the portal refused the upload (\(status))\(message.isEmpty ? "" : ": \(message)")"
        case let .localRead(message): return "the file could not be read: \(message)"
        case .fileChanged: return "the file changed while it was being uploaded"
        case let .notRecorded(message): return "the upload could not be recorded: \(message)"
        case .cancelled: return "stopped"
        }
    }

    /// The server's `Retry-After`, where it gave one.
    var retryAfterSeconds: Int? {
        if case let .transient(_, seconds, _) = self { return seconds }
        return nil
    }

    /// Why an upload is tried again after this failure, as a metrics label.
    package var retryCause: RetryCause {
        switch self {
        case let .transient(_, _, cause): return cause.cause
        case .offsetConflict: return .offsetConflict
        case .uploadGone: return .uploadGone
        case .checksumMismatch: return .checksumMismatch
        case .unauthorized: return .unauthorized
        case .tooLarge, .bodyTooLarge: return .requestTooLarge
        case .tls: return .tls
        case .untrustedLocation, .protocolViolation, .refused, .localRead, .fileChanged, .notRecorded, .cancelled:
            return .other
        }
    }

    /// Classifies an HTTP status that was not the success the request expected.
    static func from(status: Int, response: HTTPResponse, onUploadURL: Bool) -> TusFailure {
        let retryAfter = response[header: "retry-after"].flatMap { Int($0.trimmingASCIIWhitespace()) }
        switch status {
        case 401, 403: return .unauthorized(status: status)
        case 404 where onUploadURL, 410 where onUploadURL: return .uploadGone(status: status)
        case 409: return .offsetConflict
        case 413 where onUploadURL: return .bodyTooLarge
        case 413: return .tooLarge("the portal said the file is too large (413)")
        case 460: return .checksumMismatch
        case 408, 423, 425, 429, 500...599:
            return .transient("the portal answered \(status)", retryAfterSeconds: retryAfter,
                              cause: TransientCause(RetryCause.ofTransient(status: status)))
        default:
            return .refused(status: status, response.bodyText)
        }
    }

    static func from(_ error: TransportError) -> TusFailure {
        switch error.kind {
        case .cancelled: return .cancelled
        case .tls: return .tls(error.message)
        case .local: return .localRead(error.message)
        case .network, .timeout: return .transient(error.message, retryAfterSeconds: nil, cause: TransientCause(error.retryCause))
        case .refusedOrigin: return .untrustedLocation("refused to contact \(error.message)")
        }
    }
}
