import Synchronization
import UploaderCore
import UploaderHashing
import UploaderSystem

/// What an S3 destination needs besides its HTTP settings: where objects go and how large a part is.
package struct S3Settings: Sendable, Equatable {
    var location: S3Location
    /// The object key template ({centre}, {unit}, {candidate}, {file}).
    var keyTemplate: String
    var partSize: Int64
    /// Parts sent at once, each on its own connection.
    var parallelParts = S3Settings.defaultParallelParts

    package init(location: S3Location, keyTemplate: String, partSize: Int64,
                 parallelParts: Int = S3Settings.defaultParallelParts) {
        self.location = location
        self.keyTemplate = keyTemplate
        self.partSize = partSize
        self.parallelParts = parallelParts
    }

    /// Three: on a link whose round trip idles one connection between parts, the others fill it;
    /// a kill costs at most the three parts in flight.
    static let defaultParallelParts = 3
}

/// S3 multipart over libcurl with SigV4: the second `UploadTransport` adapter. The journal's one
/// string for an upload is an `S3UploadReference` ("s3://BUCKET/KEY?uploadId=ID").
package struct S3Transport: UploadTransport {
    let settings: HTTPClientSettings
    let s3: S3Settings

    package init(settings: HTTPClientSettings, s3: S3Settings) {
        self.settings = settings
        self.s3 = s3
    }

    package func upload(_ job: UploadJob, retry: RetryPolicy, stop: StopSignal,
                observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult {
        try S3UploadSession(client: client(), makeClient: client, s3: s3, job: job, retry: retry, stop: stop, observer: observer).run()
    }

    package func holdsAll(_ url: String, length: Int64) -> Bool {
        guard let reference = S3UploadReference(url), let client = try? client() else { return true }
        do {
            // A multipart upload still listed is not finished; one gone may have been completed.
            _ = try client.listParts(key: reference.key, uploadID: reference.uploadID, marker: 0)
            return false
        } catch {
            guard case .uploadGone = error else { return true }
        }
        do {
            guard let object = try client.head(key: reference.key) else { return false }
            return object.size == length
        } catch {
            return true
        }
    }

    package func abandon(_ url: String) throws(TusFailure) {
        guard let reference = S3UploadReference(url) else { return }
        try client().abort(key: reference.key, uploadID: reference.uploadID)
    }

    private func client() throws(TusFailure) -> S3Client {
        let connection: CurlConnection
        do { connection = try CurlConnection(settings: settings) }
        catch { throw .localRead(error.description) }
        return S3Client(connection: connection, location: s3.location)
    }
}

/// Drives `S3MultipartMachine` with real requests on one reused connection: the thin I/O shell
/// around the pure core. Runs on a transfer thread (it blocks in libcurl).
final class S3UploadSession {
    private let client: S3Client
    /// More connections, for parts sent at once (`S3Settings.parallelParts`); made when first needed.
    private let makeClient: () throws(TusFailure) -> S3Client
    private var moreClients: [S3Client] = []
    private let s3: S3Settings
    private let job: UploadJob
    private let stop: StopSignal
    private weak var observer: (any UploadObserver)?
    private let hasher = FileHasher(bufferSize: 256 * 1024)
    private var backoff: Backoff

    init(client: S3Client, makeClient: @escaping () throws(TusFailure) -> S3Client, s3: S3Settings, job: UploadJob,
         retry: RetryPolicy, stop: StopSignal, observer: (any UploadObserver)?) {
        self.client = client
        self.makeClient = makeClient
        self.s3 = s3
        self.job = job
        self.stop = stop
        self.observer = observer
        backoff = Backoff(policy: retry, stop: stop)
    }

    func run() throws(TusFailure) -> UploadResult {
        let plan = S3PartPlan(length: job.length, partSize: s3.partSize)
        var machine = S3MultipartMachine(plan: plan, retry: backoff.policy, singlePut: true, parallelParts: s3.parallelParts)
        let metadata = job.metadata
        // A journalled upload in this bucket goes on at its own key; anything else starts anew.
        let resumed = job.resumeURL.flatMap(S3UploadReference.init).flatMap { $0.bucket == s3.location.bucket ? $0 : nil }
        let key = resumed?.key ?? S3KeyTemplate.key(s3.keyTemplate, centre: metadata["centre"] ?? "", unit: metadata["unit"] ?? "",
                                                     candidate: metadata["candidate"] ?? "", file: metadata["filename"] ?? "")
        var bytesSent: Int64 = 0
        var partBase: Int64 = 0
        let stop = self.stop
        let observer = self.observer
        client.onProgress = { sentInPart in
            observer?.progress(partBase + sentInPart)
            return !stop.isRaised
        }
        defer { client.onProgress = nil }
        func reference(_ id: String) -> String { S3UploadReference(bucket: s3.location.bucket, key: key, uploadID: id).text }
        let objectMetadata = ["sha256", "centre", "candidate", "unit", "filename", "notes"].compactMap { name in metadata[name].map { (name, $0) } }
        func advance(_ event: S3MultipartMachine.Event) -> S3MultipartMachine.Action {
            if case let .failed(failure) = event { backoff.remember(failure) }
            return machine.handle(event)
        }

        var action = machine.handle(.start(resumeUploadID: resumed?.uploadID))
        while true {
            if stop.isRaised { throw .cancelled }
            let event: S3MultipartMachine.Event
            switch action {
            case .create:
                let id: String
                do {
                    id = try client.create(key: key, contentType: metadata["filetype"] ?? "", metadata: objectMetadata)
                } catch { action = advance(.failed(error)); continue }
                // Recorded before the first byte is sent, so a crash can resume this upload.
                do { try observer?.uploadCreated(url: reference(id)) }
                catch { throw TusFailure.notRecorded(error.description) }
                event = .created(uploadID: id)

            case .put:
                // Nothing to journal first: sending it again after a crash rewrites the same object.
                guard job.fileUnchanged() else { throw .fileChanged }
                partBase = 0
                let sha256: [UInt8]
                do { sha256 = try hasher.digest(.sha256, fd: job.fd, offset: 0, length: job.length) }
                catch { throw TusFailure.localRead(error.description) }
                bytesSent += job.length
                do {
                    try client.put(key: key, contentType: metadata["filetype"] ?? "", metadata: objectMetadata,
                                   range: HTTPRequest.FileRange(fd: job.fd, offset: 0, length: job.length), sha256: sha256)
                } catch { action = advance(.failed(error)); continue }
                guard job.fileUnchanged() else { throw .fileChanged }
                event = .stored

            case let .listParts(id, marker):
                do {
                    let page = try client.listParts(key: key, uploadID: id, marker: marker)
                    event = .listed(page.parts, nextMarker: page.nextMarker)
                } catch { event = .failed(error) }

            case let .check(_, parts):
                // The server's parts are kept only where their digest is the file's; the file's
                // checksum goes into CompleteMultipartUpload (a store may not list one).
                var matching: [S3Part] = []
                for part in parts {
                    let digest: [UInt8]
                    do { digest = try hasher.digest(.sha256, fd: job.fd, offset: plan.offset(of: part.number), length: part.size) }
                    catch { throw TusFailure.localRead(error.description) }
                    let local = Base64.encode(digest)
                    if let expected = part.checksumSHA256, expected != local { break }
                    var kept = part
                    kept.checksumSHA256 = local
                    matching.append(kept)
                }
                let held = matching.reduce(Int64(0)) { $0 + $1.size }
                if !matching.isEmpty, let id = machine.uploadID {
                    observer?.resuming(url: reference(id), from: held)
                }
                event = .checked(matching)

            case let .send(id, number, offset, length):
                guard job.fileUnchanged() else { throw .fileChanged }
                partBase = offset
                let sha256: [UInt8]
                do { sha256 = try hasher.digest(.sha256, fd: job.fd, offset: offset, length: length) }
                catch { throw TusFailure.localRead(error.description) }
                bytesSent += length  // on failure an upper bound: the request may have died part-way
                let part: S3Part
                do {
                    part = try client.uploadPart(key: key, uploadID: id, number: number,
                                                 range: HTTPRequest.FileRange(fd: job.fd, offset: offset, length: length), sha256: sha256)
                } catch { action = advance(.failed(error)); continue }
                do { try observer?.offsetConfirmed(offset + length, of: job.length) }
                catch { throw TusFailure.notRecorded(error.description) }
                event = .sent(part)

            case let .sendBatch(id, ranges):
                guard job.fileUnchanged() else { throw .fileChanged }
                let results = try sendAtOnce(uploadID: id, key: key, ranges: ranges, confirmedBytes: machine.confirmedBytes)
                bytesSent += ranges.reduce(0) { $0 + $1.length }
                // Journalled as far as the parts from the first are whole (the machine keeps those).
                var end = machine.confirmedBytes
                for (range, result) in zip(ranges, results) {
                    guard case .success = result else { break }
                    end = range.offset + range.length
                }
                if end > machine.confirmedBytes {
                    do { try observer?.offsetConfirmed(end, of: job.length) }
                    catch { throw TusFailure.notRecorded(error.description) }
                }
                event = .sentBatch(results)

            case let .complete(id, parts):
                guard job.fileUnchanged() else { throw .fileChanged }
                do { try client.complete(key: key, uploadID: id, parts: parts); event = .completed }
                catch { event = .failed(error) }

            case .headObject:
                do {
                    let object = try client.head(key: key)
                    event = .headed(holdsFile: object?.size == job.length && object?.sha256 == metadata["sha256"])
                } catch { event = .failed(error) }

            case let .backoff(attempt, retryAfter, reason):
                try backoff.wait(attempt: attempt, retryAfterSeconds: retryAfter, reason: reason, observer: observer)
                event = .waited

            case let .finished(id):
                let resumedFrom = machine.resumedParts > 0 ? plan.offset(of: machine.resumedParts + 1) : nil
                let url = id.map(reference) ?? S3ObjectReference(bucket: s3.location.bucket, key: key).text
                return UploadResult(url: url, bytesSent: bytesSent, resumedFrom: resumedFrom.map { min($0, job.length) })

            case let .failed(failure):
                throw failure
            }
            action = advance(event)
        }
    }

    /// Sends these parts at once, each from its own thread on its own connection (the session's
    /// first, then more made as needed), and answers each one's result in order. Progress is
    /// the bytes the store acknowledged so far plus what each part has sent.
    private func sendAtOnce(uploadID: String, key: String, ranges: [S3MultipartMachine.PartRange],
                            confirmedBytes: Int64) throws(TusFailure) -> [Result<S3Part, TusFailure>] {
        while moreClients.count < ranges.count - 1 { moreClients.append(try makeClient()) }
        let clients = [client] + moreClients
        let stop = self.stop
        let observer = self.observer
        let shared = Mutex(BatchProgress(sent: Array(repeating: 0, count: ranges.count),
                                         results: Array(repeating: .failure(.cancelled), count: ranges.count)))
        let fd = job.fd
        // The session's own progress callback (one part at a time) comes back after the batch.
        let sequentialProgress = client.onProgress
        defer {
            for extra in moreClients { extra.onProgress = nil }
            client.onProgress = sequentialProgress
        }
        var threads: [OSThread] = []
        for (slot, range) in ranges.enumerated() {
            let client = clients[slot]
            client.onProgress = { sent in
                shared.withLock { progress in
                    progress.sent[slot] = sent
                    observer?.progress(confirmedBytes + progress.sent.reduce(0, +))
                }
                return !stop.isRaised
            }
            let work = PartWork(client: client, key: key, uploadID: uploadID, range: range, fd: fd)
            do {
                threads.append(try OSThread {
                    let result = work.send()
                    shared.withLock { $0.results[slot] = result }
                })
            } catch {
                shared.withLock { $0.results[slot] = .failure(.localRead(error.description)) }
            }
        }
        for thread in threads { thread.join() }
        return shared.withLock { $0.results }
    }
}

/// What the threads of a batch of parts share: each part's bytes sent and its result.
private struct BatchProgress: Sendable {
    var sent: [Int64]
    var results: [Result<S3Part, TusFailure>]
}

/// One part of a batch, sent from its own thread: hash it, then UploadPart it.
/// `@unchecked Sendable`: the client is used by this part's thread alone until the batch's
/// threads are joined; the rest are values.
private struct PartWork: @unchecked Sendable {
    let client: S3Client
    let key: String
    let uploadID: String
    let range: S3MultipartMachine.PartRange
    let fd: Int32

    func send() -> Result<S3Part, TusFailure> {
        let sha256: [UInt8]
        do { sha256 = try FileHasher(bufferSize: 256 * 1024).digest(.sha256, fd: fd, offset: range.offset, length: range.length) }
        catch { return .failure(.localRead(error.description)) }
        do {
            return .success(try client.uploadPart(key: key, uploadID: uploadID, number: range.number,
                                                  range: HTTPRequest.FileRange(fd: fd, offset: range.offset, length: range.length),
                                                  sha256: sha256))
        } catch {
            return .failure(error)
        }
    }
}
