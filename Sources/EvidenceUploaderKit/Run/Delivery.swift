import Logging
import UploaderCore

/// Takes one journaled item from the queue to `uploaded/`: hash, upload (resuming where the
/// portal stands), confirm, move, receipt; each step recorded in the journal before it is
/// relied on. Blocking: runs on a transfer thread.
struct Delivery {
    typealias Outcome = DeliveryOutcome

    /// How a delivery ended; `retryCause`: why, should the scheduler try it again later (the
    /// transfer's failure; `.other` for a local one), for the metrics.
    struct Ended: Sendable {
        var outcome: Outcome
        var retryCause: RetryCause = .other
    }

    let pipeline: Pipeline

    func deliver(_ item: JournalItem) -> Ended {
        var retryCause = RetryCause.other
        let outcome = deliver(item, retryCause: &retryCause)
        return Ended(outcome: outcome, retryCause: retryCause)
    }

    private func deliver(_ item: JournalItem, retryCause: inout RetryCause) -> Outcome {
        var item = item  // gains its compressed copy on the way
        let logger = pipeline.logger(for: item.relativePath, destination: item.destinationName)
        let journal = pipeline.journal
        let board = pipeline.board

        if item.state == .delivered {
            return finishDelivered(item, logger: logger)
        }
        let file: EvidenceFile
        do {
            file = try pipeline.drop.openEvidence(item.relativePath)
        } catch {
            // Gone from the drop folder. If the journal lost its last records (torn tail), the
            // file may already be in uploaded/ and the portal may hold all of it: finish then.
            if let url = item.uploadURL, pipeline.uploaded.find(item.relativePath, inode: item.inode) != nil,
               portalHoldsAll(url: url, length: item.uploadLength, destination: item.destinationName) {
                var delivered = item
                delivered.state = .delivered
                do { try journal.append(.delivered(id: item.id)) } catch { return recordingFailed(error, logger: logger) }
                return finishDelivered(delivered, logger: logger)
            }
            return supersede(item, "the file is no longer in the drop folder", logger: logger, keepComplete: true)
        }
        guard file.device == item.device, file.inode == item.inode, file.size == item.size, file.modified == item.mtimeNanos else {
            return supersede(item, "the file changed since it was queued", logger: logger)
        }

        // 1. Hash (once: the journal keeps it).
        var sha256 = item.sha256
        if sha256 == nil {
            board.set(item.relativePath, state: .hashing, size: item.size, labels: item.labels, id: item.id)
            let started = WallClock.monotonic()
            do {
                let stop = pipeline.stop
                let digest = try FileHasher().digest(.sha256, fd: file.fd, length: file.size, path: item.relativePath) { _ in !stop.isRaised }.hexString
                try journal.append(.hashed(id: item.id, sha256: digest))
                sha256 = digest
                logger.debug("hashed", metadata: ["sha256": "\(digest)", "seconds": "\(ByteFormatting.fixed(WallClock.monotonic() - started, 1))"])
            } catch {
                if pipeline.stop.isRaised { return .stopped }
                if error.code == .journal || error.code == .stateFull { return recordingFailed(error, logger: logger) }
                logger.warning("cannot hash file; it stays in the drop folder", metadata: ["error": "\(error)"])
                return .failed(error.description, permanent: false)
            }
        }
        guard let sha256 else { return .failed("no hash", permanent: false) }

        // 2. Already delivered with the same content and labels? Then never send it twice.
        if let earlier = journal.finishedItem(sha256: sha256, labels: item.labels), earlier.id != item.id {
            return finishDuplicate(item, sha256: sha256, earlier: earlier, logger: logger)
        }

        // 2b. An oversize video (`oversize_video = "compress"`): what is sent is its compressed
        // copy, made once (the journal keeps it); the original is only read.
        var upload = (fd: file.fd, length: file.size, fileName: file.fileName, sha256: sha256)
        var compressedFile: CompressedFile? = nil
        if pipeline.examiner.compresses(size: item.size, destination: item.destinationName) {
            switch compress(item, file: file, logger: logger) {
            case let .success(copyFile):
                compressedFile = copyFile
                item.compressedCopy = copyFile.copy
                upload = (copyFile.fd, copyFile.size, Self.sentName(file.fileName), copyFile.copy.sha256)
            case let .failure(ended):
                return ended.outcome
            }
        }
        let sentCopy = compressedFile
        let uploadUnchanged: @Sendable () -> Bool = { file.isUnchanged() && (sentCopy?.isUnchanged() ?? true) }

        // 3. Upload, resuming at the portal's offset when the journal knows the upload, or when
        // the portal holds an upload of this file that a damaged journal lost.
        var resumeURL = item.uploadURL
        if resumeURL == nil, let orphan = pipeline.orphans.claim(fileName: upload.fileName, length: upload.length, sha256: upload.sha256) {
            do {
                try journal.append(.created(id: item.id, uploadURL: orphan.url))
            } catch {
                return recordingFailed(error, logger: logger)
            }
            logger.notice("continuing an upload the portal already holds", metadata: ["url": "\(orphan.url)", "offset": "\(orphan.offset)"])
            resumeURL = orphan.url
        }
        board.set(item.relativePath, state: .uploading, size: item.size, labels: item.labels, id: item.id)
        var pairs: [(key: String, value: String)] = [
            ("filename", upload.fileName), ("filetype", item.fileType), ("centre", item.labels.centre),
            ("candidate", item.labels.candidate), ("unit", item.labels.unit), ("sha256", upload.sha256),
        ]
        // The manifest's notes for the moderator, read again from the manifest in force.
        if let notes = pipeline.examiner.notes(forRelativePath: item.relativePath) { pairs.append(("notes", notes)) }
        let metadata = TusMetadata(pairs)
        // The endpoint of the config in force (a corrected portal URL applies on retry); a
        // resumed upload goes on at its own absolute URL.
        let endpoint = pipeline.examiner.endpoint(forSize: upload.length, destination: item.destinationName)
        let portal = pipeline.portal(for: item.destinationName)
        let job = UploadJob(endpoint: endpoint, fd: upload.fd, length: upload.length,
                            metadata: metadata, chunkSize: pipeline.config.transfer.chunkSize.bytes,
                            maxChunkSize: pipeline.config.transfer.maxChunkSize.bytes,
                            resumeURL: resumeURL, requestLimit: pipeline.requestLimits.limit(for: portal.origin),
                            fileUnchanged: uploadUnchanged)
        let observer = DeliveryObserver(pipeline: pipeline, id: item.id, path: item.relativePath, length: upload.length,
                                        portal: portal.origin, logger: logger)
        let started = WallClock.monotonic()
        let result: UploadResult
        do {
            logger.info(resumeURL == nil ? "upload started" : "upload resumed", metadata: [
                "id": "\(item.id)", "endpoint": "\(job.endpoint)", "size": "\(upload.length)",
            ])
            result = try portal.transport.upload(job, retry: pipeline.retry, stop: pipeline.stop, observer: observer)
        } catch {
            let failure = error
            if let journalError = observer.journalError { return recordingFailed(journalError, logger: logger) }
            if failure == .fileChanged || (failure != .cancelled && !uploadUnchanged()) {
                logger.error("file changed while it was uploaded; it will be sent again as a new upload")
                return supersede(pipeline.journal.item(id: item.id) ?? item, "the file changed during its upload", logger: logger)
            }
            retryCause = failure.retryCause
            return outcome(of: failure, item: item, logger: logger)
        }
        let seconds = WallClock.monotonic() - started

        // 4. The file must not have changed while it was read (checked before every chunk too;
        // this catches a change during the last one). The mixed upload is terminated.
        guard uploadUnchanged() else {
            logger.error("file changed while it was uploaded; it will be sent again as a new upload")
            var changed = item
            changed.uploadURL = result.url
            return supersede(changed, "the file changed during its upload", logger: logger)
        }
        do {
            try journal.append(.delivered(id: item.id))
        } catch {
            return recordingFailed(error, logger: logger)
        }
        let sent = result.resumedFrom.map { upload.length - $0 } ?? upload.length
        logger.info("delivered", metadata: [
            "id": "\(item.id)", "url": "\(result.url)", "seconds": "\(ByteFormatting.fixed(seconds, 1))",
            "rate": "\(ByteFormatting.rate(bytesPerSecond: Double(sent) / max(seconds, 0.001)))",
            "resumed_from": "\(result.resumedFrom ?? 0)",
        ])
        var delivered = item
        delivered.sha256 = sha256
        delivered.uploadURL = result.url
        delivered.state = .delivered
        return finish(delivered, seconds: seconds, duplicateOf: nil, logger: logger)
    }

    /// A crash after the portal confirmed everything: finish the move without sending again.
    private func finishDelivered(_ item: JournalItem, logger: Logger) -> Outcome {
        if let entry = pipeline.drop.stat(item.relativePath), entry.inode == item.inode, entry.device == item.device {
            logger.notice("finishing a delivery interrupted before the file was moved")
            return finish(item, seconds: 0, duplicateOf: nil, logger: logger)
        }
        // Already moved (the crash came between the move and its record)? Find it by inode.
        if let destination = pipeline.uploaded.find(item.relativePath, inode: item.inode) {
            do {
                try writeReceipt(item, destination: destination, seconds: 0, duplicateOf: nil)
                try keepCompressedCopy(item, originalAt: destination, logger: logger)
                try pipeline.journal.append(.moved(id: item.id, destination: destination))
                pipeline.board.set(item.relativePath, state: .delivered, size: item.size, labels: item.labels, id: item.id)
                return .delivered(destination)
            } catch {
                if error.code == .journal || error.code == .stateFull { return recordingFailed(error, logger: logger) }
                logger.error("delivered and moved, but the receipt could not be written", metadata: ["error": "\(error)"])
                return .failed(error.description, permanent: false)
            }
        }
        return supersede(item, "delivered, but the file is no longer in the drop folder", logger: logger)
    }

    private func finishDuplicate(_ item: JournalItem, sha256: String, earlier: JournalItem, logger: Logger) -> Outcome {
        logger.notice("same content and labels already delivered; not sending it again", metadata: [
            "earlier": "\(earlier.destination ?? earlier.relativePath)",
        ])
        var duplicate = item
        duplicate.sha256 = sha256
        duplicate.uploadURL = earlier.uploadURL
        switch finish(duplicate, seconds: 0, duplicateOf: earlier.destination ?? earlier.relativePath, logger: logger) {
        case let .delivered(destination): return .duplicate(destination)
        case let other: return other
        }
    }

    /// Receipt, move to uploaded/, record it.
    private func finish(_ item: JournalItem, seconds: Double, duplicateOf: String?, logger: Logger) -> Outcome {
        do {
            let finishedAt = WallClock.now()
            let destination = try pipeline.uploaded.move(item.relativePath, from: pipeline.drop, expectedInode: item.inode,
                                                         note: .init(suffix: ".receipt.txt") { finalPath in
                receipt(item, destination: finalPath, seconds: seconds, duplicateOf: duplicateOf, at: finishedAt)
            })
            try keepCompressedCopy(item, originalAt: destination, logger: logger)
            try pipeline.journal.append(.moved(id: item.id, destination: destination))
            logger.info("moved to uploaded", metadata: ["to": "\(destination)"])
            pipeline.board.set(item.relativePath, state: .delivered, size: item.size, labels: item.labels, id: item.id)
            return .delivered(destination)
        } catch {
            if error.code == .journal || error.code == .stateFull { return recordingFailed(error, logger: logger) }
            logger.error("delivered, but could not move the file or write its receipt", metadata: ["error": "\(error)"])
            return .failed(error.description, permanent: false)
        }
    }

    private func writeReceipt(_ item: JournalItem, destination: String, seconds: Double, duplicateOf: String?) throws(EvidenceError) {
        let note = receipt(item, destination: destination, seconds: seconds, duplicateOf: duplicateOf, at: WallClock.now())
        try pipeline.uploaded.writeNote(note, at: destination + ".receipt.txt")
    }

    private func receipt(_ item: JournalItem, destination: String, seconds: Double, duplicateOf: String?, at time: Int64) -> String {
        let parts = destination.split(separator: "/")
        let route = pipeline.examiner.route(forSize: item.size, destination: item.destinationName)
        return Notes.receipt(.init(
            fileName: String(parts.last ?? ""), folder: parts.dropLast().joined(separator: "/"),
            labels: item.labels, size: item.size, fileType: item.fileType, route: route,
            sha256: item.sha256 ?? "", uploadURL: item.uploadURL ?? "", finishedAt: time,
            seconds: seconds, duplicateOf: duplicateOf, destination: item.destinationName,
            notes: pipeline.examiner.notes(forRelativePath: item.relativePath),
            compression: item.compressedCopy.map { copy in
                Notes.Compression(limit: pipeline.examiner.maxVideoSize(destination: item.destinationName),
                                  copyName: String(CompressionStage.copyPath(forOriginalAt: destination).split(separator: "/").last ?? ""),
                                  copy: copy)
            }))
    }

    /// The name the portal is given for a compressed copy: the original's, as an MP4.
    static func sentName(_ original: String) -> String {
        guard let dot = original.lastIndex(of: "."), dot != original.startIndex else { return original + ".mp4" }
        return original[..<dot] + ".mp4"
    }

    /// Compresses an oversize video, or says how its delivery ends instead.
    private func compress(_ item: JournalItem, file: EvidenceFile, logger: Logger) -> Result<CompressedFile, CompressionEnded> {
        let limit = pipeline.examiner.maxVideoSize(destination: item.destinationName)
        let settings = pipeline.examiner.compress
        // Turned off, or ffmpeg gone, since the file was queued: the usual rejection.
        guard pipeline.examiner.oversizeVideo(destination: item.destinationName) == .compress, settings.isInstalled else {
            if pipeline.examiner.oversizeVideo(destination: item.destinationName) == .compress {
                logger.error("ffmpeg or ffprobe is missing (install the Debian package ffmpeg); the oversize video is rejected as usual",
                             metadata: ["ffmpeg": "\(settings.ffmpeg)", "ffprobe": "\(settings.ffprobe)"])
            }
            return .failure(CompressionEnded(outcome: rejectItem(item, .videoTooLarge(size: item.size, limit: limit))))
        }
        pipeline.board.set(item.relativePath, state: .compressing, size: item.size, labels: item.labels, id: item.id, message: "compressing")
        let board = pipeline.board
        let stage = CompressionStage(settings: settings, stateFolder: pipeline.config.folders.state, journal: pipeline.journal,
                                     stop: pipeline.stop, logger: logger)
        switch stage.run(item, file: file, limitBytes: limit, progress: { text in
            board.set(item.relativePath, state: .compressing, size: item.size, labels: item.labels, id: item.id, message: text)
        }) {
        case let .ready(copy):
            return .success(copy)
        case let .reject(rejection):
            return .failure(CompressionEnded(outcome: rejectItem(item, rejection)))
        case .stopped:
            return .failure(CompressionEnded(outcome: .stopped))
        case let .failed(error, permanent):
            if error.code == .journal || error.code == .stateFull { return .failure(CompressionEnded(outcome: recordingFailed(error, logger: logger))) }
            logger.error("cannot compress the video; it stays in the drop folder", metadata: ["error": "\(error)"])
            return .failure(CompressionEnded(outcome: .failed(error.description, permanent: permanent)))
        }
    }

    private func rejectItem(_ item: JournalItem, _ rejection: Rejection) -> Outcome {
        pipeline.reject(item.relativePath, rejection, size: item.size, itemID: item.id, inode: item.inode)
            ? .rejected(rejection.code) : .failed(rejection.message, permanent: true)
    }

    /// The compressed copy goes beside the original in `uploaded/` (`<name>.compressed.mp4`).
    private func keepCompressedCopy(_ item: JournalItem, originalAt destination: String, logger: Logger) throws(EvidenceError) {
        guard let copy = item.compressedCopy else { return }
        try CompressionStage.keep(copy, id: item.id, stateFolder: pipeline.config.folders.state,
                                  uploadedRoot: pipeline.uploaded.destinationRoot, originalAt: destination)
        logger.info("compressed copy kept beside the original", metadata: ["to": "\(CompressionStage.copyPath(forOriginalAt: destination))"])
    }

    private func outcome(of failure: TusFailure, item: JournalItem, logger: Logger) -> Outcome {
        switch failure {
        case .cancelled:
            return .stopped
        case .unauthorized:
            logger.error("the portal refused the centre's credentials; all uploads are paused", metadata: ["reason": "\(failure.summary)"])
            return .unauthorized(failure.summary)
        case let .tooLarge(message):
            let rejection = Rejection(code: "portal-too-large", message: "The portal will not accept this file: \(message). Make the file smaller: compress it, trim it, or record at a lower resolution such as 720p, then drop it in again.")
            return pipeline.reject(item.relativePath, rejection, size: item.size, itemID: item.id, inode: item.inode)
                ? .rejected(rejection.code) : .failed(message, permanent: true)
        case .untrustedLocation:
            logger.error("the portal sent the upload to an origin that is not trusted; nothing was sent there and the file stays in the drop folder", metadata: ["reason": "\(failure.summary)"])
            return .failed(failure.summary, permanent: true)
        case .tls, .transient:
            logger.error("upload failed; it will be tried again", metadata: ["reason": "\(failure.summary)"])
            return .failed(failure.summary, permanent: false)
        default:
            logger.error("upload failed; the file stays in the drop folder", metadata: ["reason": "\(failure.summary)"])
            return .failed(failure.summary, permanent: true)
        }
    }

    /// A full state folder stops this item for now (retried later, resumable); a journal that
    /// can no longer be trusted stops the process.
    private func recordingFailed(_ error: EvidenceError, logger: Logger) -> Outcome {
        if error.code == .stateFull {
            logger.error("the state folder is full; this upload waits until space is freed", metadata: ["error": "\(error)"])
            return .failed(error.description, permanent: false)
        }
        return .journalFailure(error.description)
    }

    /// `keepComplete`: withdraw the portal's upload only if it is incomplete (the file was
    /// taken away, so a complete copy is the only one the portal has); a file that changed
    /// during its upload always has its mixed upload withdrawn.
    private func supersede(_ item: JournalItem, _ reason: String, logger: Logger, keepComplete: Bool = false) -> Outcome {
        logger.notice("dropping a queued item", metadata: ["reason": "\(reason)"])
        if let url = item.uploadURL {
            if keepComplete && portalHoldsAll(url: url, length: item.uploadLength, destination: item.destinationName) {
                logger.notice("the portal holds the whole upload; it is kept", metadata: ["url": "\(url)"])
            } else {
                terminate(url, destination: item.destinationName)
            }
        }
        do {
            try pipeline.journal.append(.abandoned(id: item.id, reason: reason))
        } catch {
            return recordingFailed(error, logger: logger)
        }
        pipeline.board.forget(item.relativePath)
        return .superseded(reason)
    }

    /// Does the portal hold every byte of this upload? (A failed question counts as yes: never
    /// delete what might be the portal's only complete copy.)
    private func portalHoldsAll(url: String, length: Int64, destination: String) -> Bool {
        pipeline.portal(for: destination).transport.holdsAll(url, length: length)
    }

    /// Tells the portal an upload is abandoned, where it supports termination; said loudly when
    /// that fails, since the portal may then keep a stray upload.
    private func terminate(_ url: String, destination: String) {
        do {
            try pipeline.portal(for: destination).transport.abandon(url)
        } catch {
            pipeline.logger.warning("could not withdraw an abandoned upload from the portal", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }
}

/// How a delivery ends when compression does not give a copy to send.
struct CompressionEnded: Error {
    let outcome: DeliveryOutcome
}

extension JournalItem {
    /// The bytes the portal gets: the compressed copy's, or the file's own.
    var uploadLength: Int64 { compressedCopy?.size ?? size }
}
