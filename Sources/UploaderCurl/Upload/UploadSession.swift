import UploaderCore
import UploaderHashing
import UploaderSystem

/// What an upload needs to know about the file and where it goes.
package struct UploadJob: Sendable {
    package var endpoint: String
    var fd: Int32
    var length: Int64
    var metadata: TusMetadata
    var chunkSize: Int64
    /// The largest chunk `ChunkSizing` may grow to.
    var maxChunkSize: Int64
    /// The upload URL the journal remembers, if any: resume there (after asking the server).
    var resumeURL: String?
    /// What this portal was already found to refuse per request (this daemon's life).
    var requestLimit: UploadStateMachine.RequestLimit? = nil
    /// Asked before every PATCH: false when the file changed, so a mixed upload is never completed.
    var fileUnchanged: @Sendable () -> Bool = { true }

    package init(endpoint: String, fd: Int32, length: Int64, metadata: TusMetadata, chunkSize: Int64,
                 maxChunkSize: Int64, resumeURL: String? = nil,
                 requestLimit: UploadStateMachine.RequestLimit? = nil,
                 fileUnchanged: @escaping @Sendable () -> Bool = { true }) {
        self.endpoint = endpoint
        self.fd = fd
        self.length = length
        self.metadata = metadata
        self.chunkSize = chunkSize
        self.maxChunkSize = maxChunkSize
        self.resumeURL = resumeURL
        self.requestLimit = requestLimit
        self.fileUnchanged = fileUnchanged
    }
}

/// Hooks the session calls as the upload moves on: the journal records, the log lines, the
/// progress in status. Called on the transfer thread.
package protocol UploadObserver: AnyObject {
    /// A new upload exists on the server; called before its first byte is sent.
    func uploadCreated(url: String) throws(EvidenceError)
    /// The server confirmed it holds `offset` bytes. Throwing stops the upload (resumable).
    func offsetConfirmed(_ offset: Int64, of length: Int64) throws(EvidenceError)
    /// Continuing an earlier upload from the server's offset.
    func resuming(url: String, from offset: Int64)
    /// Bytes of the whole file sent or confirmed so far, as the transfer runs.
    func progress(_ bytes: Int64)
    /// Waiting before trying again; `cause` is the failure's, for the metrics.
    func retrying(inSeconds seconds: Double, attempt: Int, cause: RetryCause, reason: String)
    /// A stray or stale upload was abandoned.
    func abandoned(url: String)
    /// Chunks were made smaller: the portal refuses (or drops) requests of the failed size.
    func requestLimitLearned(_ limit: UploadStateMachine.RequestLimit, failedSize: Int64)
}

package struct UploadResult: Sendable {
    package var url: String
    /// Body bytes put on the wire, including any sent again after a failure.
    var bytesSent: Int64
    package var resumedFrom: Int64?
}

/// Drives `UploadStateMachine` with real requests on one reused connection: the thin I/O
/// shell around the pure core. Runs on its own thread (it blocks in libcurl).
final class UploadSession {
    private let client: TusClient
    private let job: UploadJob
    private let stop: StopSignal
    private weak var observer: (any UploadObserver)?
    private let hasher = FileHasher(bufferSize: 256 * 1024)
    private var backoff: Backoff

    /// What the portal said to OPTIONS lately; nil = always ask.
    private let capabilities: TusCapabilitiesCache?

    init(client: TusClient, job: UploadJob, retry: RetryPolicy, stop: StopSignal, observer: (any UploadObserver)?,
         capabilities: TusCapabilitiesCache? = nil) {
        self.capabilities = capabilities
        self.client = client
        self.job = job
        self.stop = stop
        self.observer = observer
        backoff = Backoff(policy: retry, stop: stop)
    }

    func run() throws(TusFailure) -> UploadResult {
        var machine = UploadStateMachine(length: job.length, chunkSize: job.chunkSize, retry: backoff.policy,
                                         requestLimit: job.requestLimit)
        var bytesSent: Int64 = 0
        var resumedFrom: Int64? = nil
        var chunkBase: Int64 = 0
        var lastSentLength: Int64 = 0
        let stop = self.stop
        let observer = self.observer
        client.onProgress = { sentInChunk in
            observer?.progress(chunkBase + sentInChunk)
            return !stop.isRaised
        }
        defer { client.onProgress = nil }

        /// The machine's next action; a failure that is retried at once (a 409, a lost upload)
        /// is still worth a line for the operator.
        func advance(_ event: UploadStateMachine.Event) -> UploadStateMachine.Action {
            let limitBefore = machine.requestLimit
            let next = machine.handle(event)
            if let limit = machine.requestLimit, limit != limitBefore {
                observer?.requestLimitLearned(limit, failedSize: lastSentLength)
            }
            if case let .failed(failure) = event {
                backoff.remember(failure)
                switch next {
                case .probe, .create:
                    backoff.retryingNow(after: failure, attempt: machine.attemptsWithoutProgress, observer: observer)
                default:
                    break
                }
            }
            return next
        }

        var action = machine.handle(.start(resumeURL: job.resumeURL))
        while true {
            if stop.isRaised { throw .cancelled }
            let event: UploadStateMachine.Event
            switch action {
            case .discover:
                if let known = capabilities?.get(job.endpoint) {
                    event = .discovered(known)
                } else {
                    do {
                        let learned = try client.discover(endpoint: job.endpoint)
                        capabilities?.set(learned, for: job.endpoint)
                        event = .discovered(learned)
                    } catch {
                        event = .failed(error)
                    }
                }

            case .create:
                let url: String
                do { url = try client.create(endpoint: job.endpoint, length: job.length, metadata: job.metadata) }
                catch { action = advance(.failed(error)); continue }
                // Recorded before the first byte is sent, so a crash can resume this upload.
                do { try observer?.uploadCreated(url: url) }
                catch { throw TusFailure.notRecorded(error.description) }
                event = .created(url: url)

            case let .probe(url):
                do {
                    let (offset, length) = try client.probe(url: url)
                    if resumedFrom == nil, offset > 0, offset < job.length, length == nil || length == job.length {
                        resumedFrom = offset
                        observer?.resuming(url: url, from: offset)
                    }
                    event = .probed(offset: offset, length: length)
                } catch {
                    event = .failed(error)
                }

            case let .send(url, offset, length):
                guard job.fileUnchanged() else { throw .fileChanged }
                chunkBase = offset
                lastSentLength = length
                let range = HTTPRequest.FileRange(fd: job.fd, offset: offset, length: length)
                var checksum: (Digest.Algorithm, [UInt8])? = nil
                if let algorithm = machine.capabilities?.checksumAlgorithm {
                    do {
                        checksum = (algorithm, try hasher.digest(algorithm, fd: job.fd, offset: offset, length: length))
                    } catch {
                        throw TusFailure.localRead(error.description)
                    }
                }
                bytesSent += length  // on failure an upper bound: the request may have died part-way
                let appended: TusClient.Appended
                do { appended = try client.append(url: url, offset: offset, range: range, checksum: checksum) }
                catch { action = advance(.failed(error)); continue }
                do { try observer?.offsetConfirmed(appended.offset, of: job.length) }
                catch { throw TusFailure.notRecorded(error.description) }
                let ceiling = min(job.maxChunkSize, machine.requestLimit?.bytes ?? job.maxChunkSize)
                machine.chunkSize = ChunkSizing.next(
                    current: machine.chunkSize, minimum: min(job.chunkSize, ceiling), maximum: ceiling,
                    sentBytes: length, sendSeconds: appended.sendSeconds, waitSeconds: appended.waitSeconds)
                event = .sent(newOffset: appended.offset)

            case let .backoff(attempt, retryAfter, reason):
                try backoff.wait(attempt: attempt, retryAfterSeconds: retryAfter, reason: reason, observer: observer)
                event = .waited

            case let .terminate(url):
                observer?.abandoned(url: url)
                do { try client.terminate(url: url); event = .terminated }
                catch { event = .failed(error) }

            case let .finished(url):
                return UploadResult(url: url, bytesSent: bytesSent, resumedFrom: resumedFrom)

            case let .failed(failure):
                throw failure
            }
            action = advance(event)
        }
    }
}
