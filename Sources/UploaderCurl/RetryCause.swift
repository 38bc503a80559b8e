/// Why an upload is tried again, as a metrics label (`evidence_uploader_retries_total{cause=...}`).
/// Said by the failure itself, where it is classified (`TusFailure.retryCause`,
/// `TransportError.retryCause`), never read back from a message. The raw values are stable:
/// dashboards and alerts select on them.
package enum RetryCause: String, CaseIterable, Sendable {
    /// No connection, a reset, a name that did not resolve.
    case network
    /// No answer or too slow (libcurl's timeouts, `low_speed_time`).
    case timeout
    /// The portal answered 408, 423, 425 or 429: busy, try later.
    case portalBusy = "portal_busy"
    /// The portal answered 5xx.
    case portalError = "portal_error"
    /// 409: the portal holds a different offset.
    case offsetConflict = "offset_conflict"
    /// 460: a chunk arrived damaged.
    case checksumMismatch = "checksum_mismatch"
    /// The portal no longer knows the upload (404/410): it starts again.
    case uploadGone = "upload_gone"
    /// 413 on a chunk: smaller chunks from now on.
    case requestTooLarge = "request_too_large"
    /// The certificate could not be verified.
    case tls
    /// 401/403.
    case unauthorized
    /// Anything else: the file could not be read or recorded, the portal broke the protocol.
    case other

    /// The cause of a transient HTTP answer (tus or S3): busy, or the portal's own error.
    static func ofTransient(status: Int) -> RetryCause {
        switch status {
        case 408, 423, 425, 429: return .portalBusy
        case 500...599: return .portalError
        default: return .other
        }
    }
}

/// A transient failure's cause, carried inside `TusFailure.transient` for the metrics. It takes
/// no part in equality: the retry policy treats every transient failure alike, and the machines'
/// table tests compare failures by what they say and when to try again.
package struct TransientCause: Sendable, Equatable {
    let cause: RetryCause
    init(_ cause: RetryCause) { self.cause = cause }
    package static func == (_: TransientCause, _: TransientCause) -> Bool { true }
}
