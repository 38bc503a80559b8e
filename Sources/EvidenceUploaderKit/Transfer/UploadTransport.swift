/// The port between a file's delivery and the portal's protocol. A delivery knows "send this file,
/// resuming there", "does the portal hold all of it", "withdraw it"; never HTTP, never tus or S3.
/// tus is the first adapter (`TusTransport`); S3 multipart is the next.
protocol UploadTransport: Sendable {
    /// Sends the whole file, resuming `job.resumeURL` from where the server says it stands
    /// (the server's offset is the truth). Blocks; runs on a transfer thread.
    func upload(_ job: UploadJob, retry: RetryPolicy, stop: StopSignal,
                observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult
    /// Whether the server holds every byte of this upload. A failed question counts as yes:
    /// never delete what might be the portal's only complete copy.
    func holdsAll(_ url: String, length: Int64) -> Bool
    /// Tells the server an upload is abandoned, where the protocol allows.
    func abandon(_ url: String) throws(TusFailure)
}

/// tus 1.0.0 over libcurl: a connection per upload, driven by `UploadSession`.
struct TusTransport: UploadTransport {
    let settings: HTTPClientSettings

    func upload(_ job: UploadJob, retry: RetryPolicy, stop: StopSignal,
                observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult {
        let connection: CurlConnection
        do { connection = try CurlConnection(settings: settings) }
        catch { throw .localRead(error.description) }
        return try UploadSession(client: TusClient(connection: connection), job: job, retry: retry,
                                 stop: stop, observer: observer).run()
    }

    func holdsAll(_ url: String, length: Int64) -> Bool {
        guard let connection = try? CurlConnection(settings: settings) else { return true }
        do {
            let (offset, serverLength) = try TusClient(connection: connection).probe(url: url)
            return offset == length && (serverLength == nil || serverLength == length)
        } catch {
            if case .uploadGone = error { return false }
            return true
        }
    }

    func abandon(_ url: String) throws(TusFailure) {
        let connection: CurlConnection
        do { connection = try CurlConnection(settings: settings) }
        catch { throw .localRead(error.description) }
        try TusClient(connection: connection).terminate(url: url)
    }
}
