import Logging

/// Takes one file from the drop folder to its end: safe open, checks, hash, upload, move and
/// note. Blocking; called on a worker thread, never on Swift's cooperative pool.
public final class EvidenceProcessor: Sendable {
    public enum Outcome: Sendable, Equatable {
        case delivered(String)
        case rejected(String)
        /// Left in the drop folder to try again (network, portal, or the file vanished).
        case failed(String)
        case stopped
    }

    let config: Config
    let drop: DropFolder
    let examiner: Examiner
    let httpSettings: HTTPClientSettings
    let retry: RetryPolicy
    let stop: StopSignal
    let logger: Logger
    let uploaded: FolderMover
    let rejected: FolderMover

    public init(config: Config, password: PortalPassword?, drop: DropFolder, manifest: Manifest?,
                retry: RetryPolicy, stop: StopSignal, logger: Logger) throws(EvidenceError) {
        self.config = config
        self.drop = drop
        self.examiner = try Examiner(config: config, manifest: manifest)
        var settings = HTTPClientSettings()
        if let password {
            settings.username = config.portalUsername
            settings.password = password.value
        }
        settings.caFile = config.portal.caFile
        settings.pinnedPublicKey = config.portal.pinnedPublicKey
        settings.proxy = config.portal.proxy
        settings.lowSpeedTimeSeconds = max(1, Int(config.transfer.lowSpeedTime.components.seconds))
        settings.maxSendBytesPerSecond = (config.transfer.maxRate?.bytesPerSecond ?? 0) / Int64(max(1, config.transfer.parallelUploads))
        self.httpSettings = settings
        self.retry = retry
        self.stop = stop
        self.logger = logger
        self.uploaded = FolderMover(destinationRoot: config.folders.uploaded)
        self.rejected = FolderMover(destinationRoot: config.folders.rejected)
    }

    public func process(_ relativePath: String) -> Outcome {
        var logger = self.logger
        logger[metadataKey: "file"] = .string(relativePath)
        let file: EvidenceFile
        do {
            file = try drop.openEvidence(relativePath)
        } catch {
            switch error {
            case let .rejected(rejection): return reject(relativePath, rejection, logger: logger)
            case let .system(cause):
                logger.warning("cannot open file; leaving it in the drop folder", metadata: ["error": "\(cause)"])
                return .failed(cause.description)
            }
        }
        logger[metadataKey: "size"] = .stringConvertible(file.size)

        let acceptance: Examination.Acceptance
        do {
            switch try examiner.examine(file, relativePath: relativePath) {
            case let .rejected(rejection): return reject(relativePath, rejection, logger: logger)
            case let .accepted(accepted): acceptance = accepted
            }
        } catch {
            logger.warning("cannot read file; leaving it in the drop folder", metadata: ["error": "\(error)"])
            return .failed(error.description)
        }
        logger[metadataKey: "candidate"] = .string(acceptance.labels.candidate)
        logger[metadataKey: "unit"] = .string(acceptance.labels.unit)
        logger.info("accepted", metadata: ["route": "\(acceptance.route.rawValue)", "type": "\(acceptance.fileType)"])

        let started = WallClock.monotonic()
        let sha256: String
        do {
            let stop = self.stop
            sha256 = try FileHasher().digest(.sha256, fd: file.fd, length: file.size, path: relativePath) { _ in !stop.isRaised }.hexString
        } catch {
            if stop.isRaised { return .stopped }
            logger.warning("cannot hash file; leaving it in the drop folder", metadata: ["error": "\(error)"])
            return .failed(error.description)
        }
        logger.debug("hashed", metadata: ["sha256": "\(sha256)", "seconds": "\(rounded(WallClock.monotonic() - started))"])

        let metadata = TusMetadata([
            ("filename", file.fileName),
            ("filetype", acceptance.fileType),
            ("centre", acceptance.labels.centre),
            ("candidate", acceptance.labels.candidate),
            ("unit", acceptance.labels.unit),
            ("sha256", sha256),
        ])
        let job = UploadJob(endpoint: acceptance.endpoint, fd: file.fd, length: file.size, metadata: metadata,
                            chunkSize: config.transfer.chunkSize.bytes, resumeURL: nil)
        let progress = ProgressLogger(logger: logger, length: file.size)
        let result: UploadResult
        do {
            let connection = try CurlConnection(settings: httpSettings)
            let session = UploadSession(client: TusClient(connection: connection), job: job, retry: retry, stop: stop, observer: progress)
            logger.info("upload started", metadata: ["endpoint": "\(acceptance.endpoint)"])
            result = try session.run()
        } catch let failure as TusFailure {
            if failure == .cancelled { return .stopped }
            logger.error("upload failed; the file stays in the drop folder", metadata: ["reason": "\(failure.summary)"])
            return .failed(failure.summary)
        } catch {
            logger.error("upload failed; the file stays in the drop folder", metadata: ["reason": "\(error)"])
            return .failed("\(error)")
        }
        let seconds = WallClock.monotonic() - started
        if !file.isUnchanged() {
            logger.error("file changed while it was uploaded; it stays in the drop folder to be sent again")
            return .failed("the file changed during its upload")
        }
        logger.info("delivered", metadata: [
            "url": "\(result.url)", "seconds": "\(rounded(seconds))",
            "rate": "\(ByteFormatting.rate(bytesPerSecond: Double(file.size) / max(seconds, 0.001)))",
        ])

        do {
            let destination = try uploaded.move(relativePath, from: drop)
            let parts = destination.split(separator: "/")
            let note = Notes.receipt(.init(
                fileName: String(parts.last ?? ""), folder: parts.dropLast().joined(separator: "/"),
                labels: acceptance.labels, size: file.size, fileType: acceptance.fileType, route: acceptance.route,
                sha256: sha256, uploadURL: result.url, finishedAt: WallClock.now(), seconds: seconds))
            try uploaded.writeNote(note, at: destination + ".receipt.txt")
            logger.info("moved to uploaded", metadata: ["to": "\(destination)"])
            return .delivered(destination)
        } catch {
            logger.error("delivered, but could not move the file or write its receipt", metadata: ["error": "\(error)"])
            return .failed(error.description)
        }
    }

    private func reject(_ relativePath: String, _ rejection: Rejection, logger: Logger) -> Outcome {
        logger.warning("rejected", metadata: ["reason": "\(rejection.code)", "detail": "\(rejection.message)"])
        do {
            let destination = try rejected.move(relativePath, from: drop)
            let parts = destination.split(separator: "/")
            let note = Notes.reason(fileName: String(parts.last ?? ""), folder: parts.dropLast().joined(separator: "/"),
                                    rejection: rejection, at: WallClock.now())
            try rejected.writeNote(note, at: destination + ".reason.txt")
            return .rejected(rejection.code)
        } catch {
            logger.error("could not move the rejected file or write its reason", metadata: ["error": "\(error)"])
            return .failed(error.description)
        }
    }

    private func rounded(_ value: Double) -> String { ByteFormatting.fixed(value, 1) }
}
