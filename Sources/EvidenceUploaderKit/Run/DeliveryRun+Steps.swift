import Logging
import UploaderCore
import UploaderCurl

/// How the driver performs the item machine's actions: each one step of I/O through the ports,
/// its result as the machine's next event. No decisions here.
extension DeliveryRun {
    mutating func open() -> ItemMachine.Event {
        guard let opened = try? ports.drop.openEvidence(item.relativePath) else { return .gone }
        file = opened
        return .opened(.init(device: opened.device, inode: opened.inode, size: opened.size, modified: opened.modified,
                             fileName: opened.fileName))
    }

    func hash() -> ItemMachine.Event {
        guard let file else { return .failed(.init(.other, "the file is not open")) }
        settings.board.set(item.relativePath, state: .hashing, size: item.size, labels: item.labels, id: item.id)
        let started = ports.clock.monotonic()
        let stop = settings.stop
        do {
            let sha256 = try ports.hasher.sha256(of: file, path: item.relativePath) { !stop.isRaised }
            return .hashed(sha256: sha256, took: ports.clock.monotonic() - started)
        } catch {
            return stop.isRaised ? .stopped : .failed(.init(error))
        }
    }

    /// Has the oversize video compressed (or its finished copy reused) through the compressor.
    mutating func compress() -> ItemMachine.Event {
        guard let file else { return .failed(.init(.other, "the file is not open")) }
        let board = settings.board
        let item = self.item
        board.set(item.relativePath, state: .compressing, size: item.size, labels: item.labels, id: item.id, message: "compressing")
        let limit = settings.examiner.maxVideoSize(destination: item.destinationName)
        switch ports.compressor.compress(item, file: file, limitBytes: limit, logger: logger, progress: { text in
            board.set(item.relativePath, state: .compressing, size: item.size, labels: item.labels, id: item.id, message: text)
        }) {
        case let .ready(copyFile):
            compressedFile = copyFile
            self.item.compressedCopy = copyFile.copy
            return .compressed(.init(size: copyFile.size, sha256: copyFile.copy.sha256))
        case let .reject(rejection):
            return .compressionRefused(code: rejection.code, message: rejection.message)
        case .stopped:
            return .stopped
        case let .failed(error, permanent):
            return .compressionFailed(.init(error), permanent: permanent)
        }
    }

    /// Hands the file (or its compressed copy) to the destination's transport.
    mutating func upload(_ upload: ItemMachine.Upload) -> ItemMachine.Event {
        guard let file else { return .failed(.init(.other, "the file is not open")) }
        let sentCopy = upload.sendsCopy ? compressedFile : nil
        let unchanged: @Sendable () -> Bool = { file.isUnchanged() && (sentCopy?.isUnchanged() ?? true) }
        settings.board.set(item.relativePath, state: .uploading, size: item.size, labels: item.labels, id: item.id)
        var pairs: [(key: String, value: String)] = [
            ("filename", upload.fileName), ("filetype", item.fileType), ("centre", item.labels.centre),
            ("candidate", item.labels.candidate), ("unit", item.labels.unit), ("sha256", upload.sha256),
        ]
        // The manifest's notes for the moderator, read again from the manifest in force.
        if let notes = settings.examiner.notes(forRelativePath: item.relativePath) { pairs.append(("notes", notes)) }
        // The endpoint of the config in force (a corrected portal URL applies on retry); a
        // resumed upload goes on at its own absolute URL.
        let endpoint = settings.examiner.endpoint(forSize: upload.length, destination: item.destinationName)
        let portal = ports.portal(item.destinationName)
        let job = UploadJob(endpoint: endpoint, fd: sentCopy?.fd ?? file.fd, length: upload.length,
                            metadata: TusMetadata(pairs), chunkSize: settings.chunkSize,
                            maxChunkSize: settings.maxChunkSize,
                            resumeURL: upload.resumeURL, requestLimit: settings.requestLimits.limit(for: portal.origin),
                            fileUnchanged: unchanged)
        let observer = DeliveryObserver(settings: settings, journal: ports.journal, clock: ports.clock, id: item.id,
                                        path: item.relativePath, length: upload.length, portal: portal.origin, logger: logger)
        let started = ports.clock.monotonic()
        do {
            logger.info(upload.resumeURL == nil ? "upload started" : "upload resumed", metadata: [
                "id": "\(item.id)", "endpoint": "\(job.endpoint)", "size": "\(upload.length)",
            ])
            let result = try portal.transport.upload(job, retry: settings.retry, stop: settings.stop, observer: observer)
            return .uploaded(.init(url: result.url, resumedFrom: result.resumedFrom, took: ports.clock.monotonic() - started,
                                   unchanged: unchanged()))
        } catch {
            transferFailure = error
            let known = ports.journal.item(id: item.id)
            return .uploadFailed(.init(error), .init(unchanged: unchanged(), recording: observer.journalError.map { .init($0) },
                                                     knownURL: known == nil ? item.uploadURL : known?.uploadURL))
        }
    }

    /// Receipt, move to uploaded/.
    func move(_ receipt: ItemMachine.Receipt) -> ItemMachine.Event {
        let finishedAt = ports.clock.now()
        let run = self
        do {
            let destination = try ports.uploaded.move(item.relativePath, expectedInode: item.inode,
                                                      note: .init(suffix: Notes.receiptSuffix, isEarlierCopy: {
                Notes.isReceipt($0, sha256: receipt.sha256, uploadURL: receipt.uploadURL)
            }) { finalPath in
                run.receiptText(receipt, destination: finalPath, at: finishedAt)
            })
            return .moved(to: destination)
        } catch {
            return .failed(.init(error))
        }
    }

    /// The receipt beside a file found already moved.
    func writeReceipt(at destination: String, _ receipt: ItemMachine.Receipt) -> ItemMachine.Event {
        let text = receiptText(receipt, destination: destination, at: ports.clock.now())
        do { try ports.uploaded.writeNote(text, beside: destination, suffix: Notes.receiptSuffix) } catch { return .failed(.init(error)) }
        return .receiptWritten
    }

    /// The compressed copy goes beside the original in `uploaded/` (`<name>.compressed.mp4`).
    func keepCompressedCopy(originalAt destination: String) -> ItemMachine.Event {
        guard let copy = item.compressedCopy else { return .copyKept }
        do {
            try ports.uploaded.keepCompressedCopy(copy, id: item.id, originalAt: destination)
        } catch {
            return .failed(.init(error))
        }
        logger.info("compressed copy kept beside the original", metadata: ["to": "\(CompressionStage.copyPath(forOriginalAt: destination))"])
        return .copyKept
    }

    /// Tells the portal an upload is abandoned, where it supports termination; said loudly when
    /// that fails, since the portal may then keep a stray upload.
    func withdraw(_ url: String) {
        do {
            try ports.portal(item.destinationName).transport.abandon(url)
        } catch {
            settings.logger.warning("could not withdraw an abandoned upload from the portal", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }

    func reject(_ reason: ItemMachine.RejectReason) -> ItemMachine.Event {
        let rejection: Rejection
        switch reason {
        case .videoTooLarge:
            rejection = .videoTooLarge(size: item.size, limit: settings.examiner.maxVideoSize(destination: item.destinationName))
        case let .refused(code, message):
            rejection = Rejection(code: code, message: message)
        case let .portalTooLarge(message):
            rejection = Rejection(code: "portal-too-large", message: "The portal will not accept this file: \(message). Make the file smaller: compress it, trim it, or record at a lower resolution such as 720p, then drop it in again.")
        }
        return .rejectionFiled(moved: ports.reject(item, rejection), code: rejection.code, message: rejection.message)
    }

    private func receiptText(_ receipt: ItemMachine.Receipt, destination: String, at time: Int64) -> String {
        let parts = destination.split(separator: "/")
        let examiner = settings.examiner
        return Notes.receipt(.init(
            fileName: String(parts.last ?? ""), folder: parts.dropLast().joined(separator: "/"),
            labels: item.labels, size: item.size, fileType: item.fileType,
            route: examiner.route(forSize: item.size, destination: item.destinationName),
            sha256: receipt.sha256, uploadURL: receipt.uploadURL, finishedAt: time,
            seconds: receipt.took.inSeconds, duplicateOf: receipt.duplicateOf, destination: item.destinationName,
            notes: examiner.notes(forRelativePath: item.relativePath),
            compression: item.compressedCopy.map { copy in
                Notes.Compression(limit: examiner.maxVideoSize(destination: item.destinationName),
                                  copyName: String(CompressionStage.copyPath(forOriginalAt: destination).split(separator: "/").last ?? ""),
                                  copy: copy)
            }))
    }

    /// The operator's words for what the machine decided.
    func tell(_ notice: ItemMachine.Notice) {
        switch notice {
        case .finishingInterruptedDelivery:
            logger.notice("finishing a delivery interrupted before the file was moved")
        case let .receiptNotWritten(error):
            logger.error("delivered and moved, but the receipt could not be written", metadata: ["error": "\(error)"])
        case let .hashed(sha256, took):
            logger.debug("hashed", metadata: ["sha256": "\(sha256)", "seconds": "\(ByteFormatting.fixed(took.inSeconds, 1))"])
        case let .cannotHash(error):
            logger.warning("cannot hash file; it stays in the drop folder", metadata: ["error": "\(error)"])
        case let .duplicate(earlier):
            logger.notice("same content and labels already delivered; not sending it again", metadata: ["earlier": "\(earlier)"])
        case .compressionToolsMissing:
            let tools = settings.examiner.compress
            logger.error("ffmpeg or ffprobe is missing (install the Debian package ffmpeg); the oversize video is rejected as usual",
                         metadata: ["ffmpeg": "\(tools.ffmpeg)", "ffprobe": "\(tools.ffprobe)"])
        case let .cannotCompress(error):
            logger.error("cannot compress the video; it stays in the drop folder", metadata: ["error": "\(error)"])
        case let .continuingOrphan(url, offset):
            logger.notice("continuing an upload the portal already holds", metadata: ["url": "\(url)", "offset": "\(offset)"])
        case .fileChangedDuringUpload:
            logger.error("file changed while it was uploaded; it will be sent again as a new upload")
        case let .delivered(url, took, sent, resumedFrom):
            let seconds = took.inSeconds
            logger.info("delivered", metadata: [
                "id": "\(item.id)", "url": "\(url)", "seconds": "\(ByteFormatting.fixed(seconds, 1))",
                "rate": "\(ByteFormatting.rate(bytesPerSecond: Double(sent) / max(seconds, 0.001)))",
                "resumed_from": "\(resumedFrom)",
            ])
        case let .movedToUploaded(destination):
            logger.info("moved to uploaded", metadata: ["to": "\(destination)"])
        case let .notMoved(error):
            logger.error("delivered, but could not move the file or write its receipt", metadata: ["error": "\(error)"])
        case let .unauthorized(reason):
            logger.error("the portal refused the centre's credentials; all uploads are paused", metadata: ["reason": "\(reason)"])
        case let .untrustedLocation(reason):
            logger.error("the portal sent the upload to an origin that is not trusted; nothing was sent there and the file stays in the drop folder", metadata: ["reason": "\(reason)"])
        case let .willRetry(reason):
            logger.error("upload failed; it will be tried again", metadata: ["reason": "\(reason)"])
        case let .uploadFailed(reason):
            logger.error("upload failed; the file stays in the drop folder", metadata: ["reason": "\(reason)"])
        case let .stateFolderFull(error):
            logger.error("the state folder is full; this upload waits until space is freed", metadata: ["error": "\(error)"])
        case let .dropping(reason):
            logger.notice("dropping a queued item", metadata: ["reason": "\(reason)"])
        case let .portalKeepsUpload(url):
            logger.notice("the portal holds the whole upload; it is kept", metadata: ["url": "\(url)"])
        }
    }
}

extension ItemMachine.UploadFailure {
    /// A transport's failure as the item machine knows it.
    init(_ failure: TusFailure) {
        switch failure {
        case .cancelled: self = .stopped
        case .unauthorized: self = .unauthorized(failure.summary)
        case let .tooLarge(message): self = .tooLarge(message)
        case .untrustedLocation: self = .untrustedLocation(failure.summary)
        case .tls, .transient: self = .retryable(failure.summary)
        case .fileChanged: self = .fileChanged
        default: self = .refused(failure.summary)
        }
    }
}
