import Logging
import UploaderConfig
import UploaderCore
import UploaderCurl
import UploaderJournal
import UploaderSystem

/// Start-up shared by `run` and `run --once`: folders, journal replay (said loudly when it
/// found damage), the manifest, the pipeline, and the items the journal left unfinished.
struct RunSession {
    var pipeline: Pipeline?
    /// Why there is no pipeline (an unusable manifest): nothing may be uploaded until fixed.
    var problem: String?
    /// Unfinished items from the journal, oldest first, to deliver before anything new.
    var recovered: [UInt64] = []
    let journal: Journal
    let board: StatusBoard
    let rateLimiter: RateLimiter
    /// Learned per portal for the daemon's life (across reloads).
    let requestLimits = RequestSizeLimits()
    let retry: RetryPolicy

    static func start(config: Config, passwords: PortalPasswords, stop: StopSignal, logger: Logger,
                      retry: RetryPolicy) throws(EvidenceError) -> RunSession {
        try StateFolder.prepare(config)
        // `moved` records wait until uploaded/ is synced (the pipeline's mover leaves it to this).
        let journal = try Journal.open(stateDirectory: config.folders.state, folders: FileSystemSync(folders: [config.folders.uploaded]))
        let report = journal.replayReport
        if let at = report.corruptionAt {
            logger.critical("the journal was damaged; a copy was kept and every readable record recovered", metadata: [
                "offset": "\(at)", "copy": "\(report.corruptCopyPath ?? "")", "records": "\(report.recordsRead)",
            ])
        } else if let at = report.truncatedAt {
            logger.warning("the journal ended in a torn record (a crash while writing); it was cut back to the last whole record", metadata: [
                "offset": "\(at)", "bytes": "\(report.truncatedBytes)",
            ])
        }
        let board = StatusBoard(stateDirectory: config.folders.state)
        if config.hasNamedDestinations {
            board.setDestinations(config.destinations.map { ($0.name, $0.folder) })
        }
        let limiter = RateLimiter(bytesPerSecond: RateSchedule.bytesPerSecondNow(config.transfer))
        var session = RunSession(journal: journal, board: board, rateLimiter: limiter, retry: retry)
        let drop = try DropFolder(path: config.folders.drop)
        let manifests: [String: Manifest]
        do {
            manifests = try ManifestLoader.loadAll(from: drop, config: config)
        } catch {
            logger.error(ManifestLoader.brokenMessage, metadata: ["error": "\(error.message)"])
            session.problem = error.message
            board.setProblem(ManifestLoader.statusProblem(error.message))
            return session
        }
        var pipeline = try Pipeline(config: config, passwords: passwords, drop: drop, manifests: manifests, journal: journal,
                                    board: board, rateLimiter: limiter, requestLimits: session.requestLimits, retry: retry, stop: stop, logger: logger)
        if !report.orphanUploadURLs.isEmpty {
            // Damage took some files' records: ask the portals what they hold for them.
            let orphans = OrphanUploads.discover(urls: report.orphanUploadURLs, clients: pipeline.portals.values.map(\.http),
                                                 logger: logger)
            pipeline = try Pipeline(config: config, passwords: passwords, drop: drop, manifests: manifests, journal: journal,
                                    board: board, rateLimiter: limiter, requestLimits: session.requestLimits, retry: retry, stop: stop, logger: logger,
                                    orphans: orphans)
        }
        session.pipeline = pipeline
        let unfinished = journal.unfinished()
        for item in unfinished {
            board.set(item.relativePath, state: .queued, size: item.size, labels: item.labels, id: item.id)
        }
        session.recovered = unfinished.map(\.id)
        if !unfinished.isEmpty {
            logger.notice("resuming unfinished items from the journal", metadata: ["items": "\(unfinished.count)"])
        }
        return session
    }
}
