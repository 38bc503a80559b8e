/// S3's answers classified once, into the failures the delivery and the retry policy read:
/// the error code in the XML body decides, the status only when there is no body (HEAD).
enum S3Failure {
    /// The store refused a request. `request` names it for messages ("UploadPart 3").
    static func from(status: Int, response: HTTPResponse, request: String, store: String) -> TusFailure {
        let xml = S3XML(response.body)
        let code = xml.value("Code") ?? ""
        let message = xml.value("Message") ?? ""
        let retryAfter = response[header: "retry-after"].flatMap { Int($0.trimmingASCIIWhitespace()) }
        let said = code.isEmpty ? "\(status)" : "\(status) \(code)"
        switch code {
        case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken", "ExpiredToken",
             "AuthorizationHeaderMalformed", "InvalidSecurity", "AccountProblem":
            return .unauthorized(status: status, detail: "the S3 store \(store) refused the credentials (\(said)): check access_key_id, the secret (secret_file or its credential) and region")
        case "NoSuchBucket":
            return .unauthorized(status: status, detail: "the S3 store \(store) has no such bucket (\(said)): create it, or correct bucket")
        case "NoSuchUpload":
            return .uploadGone(status: status)
        case "BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest":
            return .checksumMismatch
        case "InvalidPart", "InvalidPartOrder":
            return .offsetConflict
        case "EntityTooLarge":
            return .tooLarge("the S3 store said the file is too large (\(said))")
        case "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed", "OperationAborted":
            let cause: RetryCause = switch code {
            case "RequestTimeout": .timeout
            case "RequestTimeTooSkewed", "OperationAborted": .other
            default: .ofTransient(status: status)  // SlowDown, InternalError, ServiceUnavailable
            }
            return .transient("the S3 store answered \(said) to \(request)", retryAfterSeconds: retryAfter, cause: TransientCause(cause))
        default:
            break
        }
        switch status {
        case 401, 403:
            return .unauthorized(status: status, detail: "the S3 store \(store) refused the credentials (\(said)): check access_key_id, the secret (secret_file or its credential) and region")
        case 408, 429, 500...599:
            return .transient("the S3 store answered \(said) to \(request)", retryAfterSeconds: retryAfter,
                              cause: TransientCause(.ofTransient(status: status)))
        case 413:
            return .tooLarge("the S3 store said the file is too large (413)")
        default:
            let text = message.isEmpty ? response.bodyText : message
            return .refused(status: status, "\(request): \(code.isEmpty ? "" : code + ": ")\(text)")
        }
    }
}
