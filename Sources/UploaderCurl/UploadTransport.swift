import UploaderSystem

/// The port between a file's delivery and the portal's protocol. A delivery knows "send this file,
/// resuming there", "does the portal hold all of it", "withdraw it"; never HTTP, never tus or S3.
/// tus is the first adapter (`TusTransport`); S3 multipart is the next.
package protocol UploadTransport: Sendable {
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

/// tus 1.0.0 over libcurl, driven by `UploadSession`: connections kept from file to file (a pool
/// per portal), and the portal's capabilities learned once and remembered for a while.
package struct TusTransport: UploadTransport {
    let settings: HTTPClientSettings
    let pool: ConnectionPool
    let capabilities: TusCapabilitiesCache

    package init(settings: HTTPClientSettings) {
        self.settings = settings
        pool = ConnectionPool(settings: settings)
        capabilities = TusCapabilitiesCache()
    }

    package func upload(_ job: UploadJob, retry: RetryPolicy, stop: StopSignal,
                observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult {
        do {
            return try pool.with { connection throws(TusFailure) in
                try UploadSession(client: TusClient(connection: connection), job: job, retry: retry,
                                  stop: stop, observer: observer, capabilities: capabilities).run()
            }
        } catch {
            // Whatever went wrong, ask the portal again next time.
            capabilities.forget(job.endpoint)
            throw error
        }
    }

    package func holdsAll(_ url: String, length: Int64) -> Bool {
        do {
            let (offset, serverLength) = try pool.with { connection throws(TusFailure) in try TusClient(connection: connection).probe(url: url) }
            return offset == length && (serverLength == nil || serverLength == length)
        } catch {
            if case .uploadGone = error { return false }
            return true
        }
    }

    package func abandon(_ url: String) throws(TusFailure) {
        try pool.with { connection throws(TusFailure) in try TusClient(connection: connection).terminate(url: url) }
    }
}
