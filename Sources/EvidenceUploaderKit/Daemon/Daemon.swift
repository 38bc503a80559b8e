import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `run`: the long-running service. Watches the drop folder (inotify, or polling for network
/// file systems), lets files settle, admits them, keeps `parallel_uploads` transfers going,
/// retries forever on transient failures, pauses on a refused password, reloads on SIGHUP,
/// keeps `status.json` current, and stops within seconds on SIGTERM with everything resumable.
public final class Daemon: @unchecked Sendable {
    public struct Signals: Sendable {
        public let stop: StopSignal
        public let reload: StopSignal
        public let wake: DispatchSemaphore
        public init() {
            stop = StopSignal()
            reload = StopSignal()
            wake = DispatchSemaphore(value: 0)
        }
    }

    private var config: Config
    private let configPath: String
    private var password: PortalPassword?
    private var logger: Logger
    private let signals: Signals
    private let notifier: SystemdNotifier
    private let environment: [String: String]

    private var session: RunSession!
    private var pipeline: Pipeline?
    private var watcher: InotifyWatcher?
    private var workers: TransferWorkers
    private var settler: Settler
    private var pending: [UInt64] = []
    private var notBefore: [UInt64: Double] = [:]
    private var failed: [UInt64: String] = [:]
    private var paused: String?
    private var lastScan = -Double.infinity
    private var lastStatus = 0.0
    private var lastRecheck = 0.0
    private var lastCredentialCheck = 0.0
    private var credentialStamp: String = ""
    private var manifestStamp: String = ""
    private var deferredSince: [String: Double] = [:]
    private var lastAppliedRate: Int64? = nil
    private var dropMissing = false
    /// While the state folder is full: no admissions before this time.
    private var stateFullUntil: Double? = nil
    /// Set when the journal can no longer be trusted: the loop ends and `run` throws.
    private var journalFailure: String? = nil
    private var lastDropCheck = 0.0

    public init(configPath: String, config: Config, password: PortalPassword?, logger: Logger,
                signals: Signals, environment: [String: String]) {
        self.configPath = configPath
        self.config = config
        self.password = password
        self.logger = logger
        self.signals = signals
        self.environment = environment
        self.notifier = SystemdNotifier(environment: environment)
        self.workers = TransferWorkers(wake: signals.wake)
        self.settler = Settler(settleTime: Self.seconds(config.policy.settleTime))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Runs until SIGTERM/SIGINT. Throws when it cannot start, or when the journal can no longer
    /// be trusted (the service manager restarts it).
    public func run() throws(EvidenceError) {
        let retry = RetryPolicy(initialDelaySeconds: 1, multiplier: 2, maxDelaySeconds: 300, maxAttemptsWithoutProgress: nil)
        session = try RunSession.start(config: config, password: password, stop: signals.stop, logger: logger, retry: retry)
        pipeline = session.pipeline
        pending = session.recovered
        manifestStamp = stamp(config.folders.drop + "/" + config.labels.manifest)
        credentialStamp = credentialFingerprint()
        applyRateSchedule()
        if config.folders.watch == .inotify {
            watcher = try InotifyWatcher(root: config.folders.drop)
            let wake = signals.wake
            watcher?.start { wake.signal() }
        }
        scan(reason: "start")
        logger.info("watching the drop folder", metadata: [
            "folder": "\(config.folders.drop)", "mode": "\(config.folders.watch.rawValue)",
            "settle_time": "\(DurationText.format(config.policy.settleTime))", "parallel_uploads": "\(config.transfer.parallelUploads)",
        ])
        notifier.ready(status: statusLine())

        while !signals.stop.isRaised {
            let now = WallClock.monotonic()
            if signals.reload.isRaised { reload() }
            handleHints(now: now)
            if config.folders.watch == .poll || watcher?.limitReached == true {
                if now - lastScan >= Self.seconds(config.folders.pollInterval) { scan(reason: "poll") }
            } else if now - lastScan >= 600 {
                scan(reason: "periodic safety scan")
            }
            if now - lastRecheck >= 1 {
                lastRecheck = now
                recheckSettling()
            }
            if now - lastDropCheck >= 5 {
                lastDropCheck = now
                if dropMissing || pipeline?.drop.isStillAtItsPath() == false { scan(reason: "the drop folder changed") }
            }
            admitSettled(now: now)
            for (id, outcome) in workers.collect() {
                if let failure = handle(outcome, id: id) { journalFailure = failure }
            }
            if journalFailure != nil { break }
            handleRequests()
            if paused != nil && now - lastCredentialCheck >= 5 { checkCredentials(now: now) }
            startTransfers(now: now)
            if now - lastStatus >= 1 {
                lastStatus = now
                session.board.flush()
                notifier.status(statusLine())
                maybeCompact()
                applyRateSchedule()
            }
            notifier.watchdog()
            _ = signals.wake.wait(timeout: .now() + .milliseconds(250))
        }

        logger.notice("stopping: letting transfers end where they can resume")
        notifier.stopping()
        signals.stop.raise()
        watcher?.shutdown()
        for (id, outcome) in workers.waitForAll(timeoutSeconds: 4) {
            if case .journalFailure = outcome { continue }
            _ = handle(outcome, id: id)
        }
        session.board.flush()
        if let journalFailure {
            throw EvidenceError(.journal, journalFailure)
        }
        logger.notice("stopped")
    }

    // MARK: - Finding files

    private func scan(reason: String) {
        lastScan = WallClock.monotonic()
        guard let drop = currentDropFolder() else { return }
        let result = drop.scan(manifestName: config.labels.manifest)
        for problem in result.problems {
            logger.warning("drop folder problem", metadata: ["detail": "\(problem)"])
        }
        for entry in result.unreadableNames {
            _ = pipeline?.rejectUnreadableName(entry)
        }
        watcher?.watch(folders: result.folders)
        let present = Set(result.files.map(\.path))
        for path in settler.observations.keys where !present.contains(path) {
            settler.forget(path)
            session.board.forget(path)
        }
        let known = knownPaths()
        for entry in result.files where !known.contains(entry.path) {
            observe(entry)
        }
        checkManifest()
        logger.debug("scanned", metadata: ["reason": "\(reason)", "files": "\(result.files.count)"])
    }

    private func handleHints(now: Double) {
        guard let watcher else { return }
        let hints = watcher.drain()
        guard !hints.isEmpty else { return }
        var rescan: String? = nil
        var files = Set<String>()
        for hint in hints {
            switch hint {
            case let .rescan(reason): rescan = reason
            case let .file(path):
                // A name that is not UTF-8 arrives mangled: only a scan can reach it.
                if path.unicodeScalars.contains("\u{FFFD}") { rescan = "a file with a name that is not valid text" }
                files.insert(path)
            }
        }
        if let rescan {
            logger.info("rescanning the drop folder", metadata: ["because": "\(rescan)"])
            scan(reason: rescan)
            return
        }
        let known = knownPaths()
        for path in files {
            if path == config.labels.manifest { checkManifest(); continue }
            if known.contains(path) { continue }
            if let entry = pipeline?.drop.stat(path) ?? (try? DropFolder(path: config.folders.drop))?.stat(path) {
                if !DropFolder.isIgnored(name: String(path.split(separator: "/").last ?? "")) { observe(entry) }
            } else {
                settler.forget(path)
                session.board.forget(path)
            }
        }
    }

    private func observe(_ entry: DropFolder.Entry) {
        let now = WallClock.monotonic()
        let isNew = settler.observations[entry.path] == nil
        settler.observe(entry.path, size: entry.size, modified: entry.modified, now: now)
        if isNew {
            logger.info("discovered", metadata: ["file": "\(entry.path)", "size": "\(entry.size)"])
        }
        let changing = settler.observations[entry.path].map { $0.changes > 0 } ?? false
        session.board.set(entry.path, state: .arriving, size: entry.size,
                          message: changing ? "still being written" : "waiting \(DurationText.format(config.policy.settleTime)) for it to settle")
    }

    /// Files waiting to settle are looked at again every second: growing, finished, or gone.
    private func recheckSettling() {
        guard let drop = pipeline?.drop else { return }
        for path in settler.observations.keys {
            if let entry = drop.stat(path) {
                observe(entry)
            } else {
                settler.forget(path)
                session.board.forget(path)
            }
        }
    }

    /// Paths already in the journal's queue or in flight: not observed again.
    private func knownPaths() -> Set<String> {
        Set(session.journal.unfinished().map(\.relativePath))
    }

    private func admitSettled(now: Double) {
        guard let pipeline else { return }
        if let until = stateFullUntil, now < until { return }
        let admission = Admission(pipeline: pipeline)
        for path in settler.ready(now: now) {
            settler.forget(path)
            logger.info("settled", metadata: ["file": "\(path)"])
            switch admission.admit(path, active: workers.activeIDs) {
            case let .queued(id), let .alreadyQueued(id):
                if !pending.contains(id) && !workers.activeIDs.contains(id) { pending.append(id) }
                deferredSince[path] = nil
                if stateFullUntil != nil {
                    stateFullUntil = nil
                    session.board.setPaused(paused)
                    logger.notice("the state folder has room again; taking new files")
                }
            case .rejected:
                deferredSince[path] = nil
            case let .deferred(reason):
                // Still open for writing, or briefly unreadable: look again after another settle time.
                if deferredSince[path] == nil {
                    deferredSince[path] = now
                    logger.info("not taken yet", metadata: ["file": "\(path)", "because": "\(reason)"])
                }
                if let entry = pipeline.drop.stat(path) {
                    settler.observe(path, size: entry.size, modified: entry.modified, now: now)
                    session.board.set(path, state: .arriving, size: entry.size, message: reason)
                }
            case let .stateFull(message):
                // Nothing is lost: the file stays in the drop folder. Look again in 30 seconds.
                if stateFullUntil == nil {
                    logger.critical("the state folder is full: new files wait in the drop folder until space is freed", metadata: ["error": "\(message)"])
                    session.board.setPaused("the state folder \(config.folders.state) is full: free some space")
                }
                stateFullUntil = now + 30
                settler.observe(path, size: 0, modified: 0, now: now)
                return
            case let .journalFailure(message):
                logger.critical("the journal cannot be written; stopping so the service manager can restart", metadata: ["error": "\(message)"])
                journalFailure = message
                signals.stop.raise()
                return
            }
        }
    }

    // MARK: - Transfers

    private func startTransfers(now: Double) {
        guard let pipeline, paused == nil else { return }
        var index = 0
        while workers.count < config.transfer.parallelUploads && index < pending.count {
            let id = pending[index]
            if let at = notBefore[id], at > now { index += 1; continue }
            pending.remove(at: index)
            notBefore[id] = nil
            guard let item = session.journal.item(id: id), !item.state.isFinished else { continue }
            workers.start(item, pipeline: pipeline)
        }
    }

    /// Returns a message when the journal failed (the daemon must stop).
    private func handle(_ outcome: Delivery.Outcome, id: UInt64) -> String? {
        let item = session.journal.item(id: id)
        let path = item?.relativePath ?? "#\(id)"
        switch outcome {
        case .delivered, .duplicate, .rejected:
            failed[id] = nil
        case .superseded:
            failed[id] = nil
            // The file changed or was replaced: look at it again as a new arrival.
            if let item, let entry = pipeline?.drop.stat(item.relativePath) { observe(entry) }
        case let .failed(reason, permanent):
            if permanent {
                failed[id] = reason
                session.board.set(path, state: .failed, size: item?.size ?? 0, message: reason + " (run `evidence-uploader retry \(id)` after fixing it)")
            } else {
                notBefore[id] = WallClock.monotonic() + 60
                pending.append(id)
                session.board.set(path, state: .retrying, size: item?.size ?? 0, message: "\(reason); trying again in 60 s")
            }
        case let .unauthorized(reason):
            if paused == nil {
                paused = reason
                lastCredentialCheck = WallClock.monotonic()
                logger.critical("all uploads paused: the portal refused the centre's credentials; fix the password (or portal.username) and reload with `systemctl reload evidence-uploader`", metadata: ["reason": "\(reason)"])
                session.board.setPaused("the portal refused the centre's credentials: check the password, then reload")
            }
            pending.insert(id, at: 0)
            session.board.set(path, state: .paused, size: item?.size ?? 0, message: "waiting for a working password")
        case .stopped:
            if !signals.stop.isRaised { pending.insert(id, at: 0) }
        case let .journalFailure(message):
            logger.critical("the journal cannot be written; stopping so the service manager can restart", metadata: ["error": "\(message)"])
            return message
        }
        return nil
    }

    private func handleRequests() {
        for request in ControlRequests.take(stateDirectory: config.folders.state) {
            let ids: [UInt64]
            switch request {
            case let .retry(id): ids = [id]
            case .retryFailed: ids = Array(failed.keys).sorted()
            }
            for id in ids {
                guard let item = session.journal.item(id: id), !item.state.isFinished else {
                    logger.warning("retry asked for an item that is not waiting", metadata: ["id": "\(id)"])
                    continue
                }
                failed[id] = nil
                notBefore[id] = nil
                if !pending.contains(id) && !workers.activeIDs.contains(id) { pending.append(id) }
                session.board.set(item.relativePath, state: .queued, size: item.size, labels: item.labels, id: id)
                logger.info("queued again on request", metadata: ["id": "\(id)", "file": "\(item.relativePath)"])
            }
        }
    }

    // MARK: - Reload, credentials, manifest

    private func reload() {
        signals.reload.reset()
        notifier.reloading()
        logger.notice("reloading the configuration", metadata: ["config": "\(configPath)"])
        let newConfig: Config
        let newPassword: PortalPassword?
        do {
            newConfig = try Config.load(path: configPath)
            newPassword = try newConfig.loadPassword(environment: environment)
        } catch {
            logger.error("the new configuration is refused; keeping the one in use", metadata: ["error": "\(error)"])
            notifier.ready(status: statusLine())
            return
        }
        if newConfig.folders != config.folders {
            logger.warning("folder changes take effect only after a restart; the other changes are applied now")
        }
        var applied = newConfig
        applied.folders = config.folders
        config = applied
        password = newPassword
        settler.settleTime = Self.seconds(config.policy.settleTime)
        applyRateSchedule()
        rebuildPipeline()
        credentialStamp = credentialFingerprint()
        if paused != nil {
            paused = nil
            session.board.setPaused(nil)
            logger.notice("uploads resumed after the reload")
        }
        notifier.ready(status: statusLine())
    }

    /// The drop folder, reopened when it was removed and made again; nil (said once) while it is missing.
    private func currentDropFolder() -> DropFolder? {
        if let drop = pipeline?.drop, drop.isStillAtItsPath() {
            dropMissing = false
            return drop
        }
        guard let drop = try? DropFolder(path: config.folders.drop) else {
            if !dropMissing {
                dropMissing = true
                logger.error("the drop folder is missing; waiting for it to come back", metadata: ["folder": "\(config.folders.drop)"])
                session.board.setPaused("the drop folder \(config.folders.drop) is missing")
            }
            return nil
        }
        if dropMissing || pipeline != nil {
            logger.notice("the drop folder was made again; watching the new one", metadata: ["folder": "\(config.folders.drop)"])
        }
        if dropMissing { session.board.setPaused(paused) }
        dropMissing = false
        rebuildPipeline(drop: drop)
        return drop
    }

    private func rebuildPipeline(drop newDrop: DropFolder? = nil) {
        guard let drop = newDrop ?? pipeline?.drop ?? (try? DropFolder(path: config.folders.drop)) else { return }
        do {
            let manifest = try ManifestLoader.load(from: drop, name: config.labels.manifest)
            pipeline = try Pipeline(config: config, password: password, drop: drop, manifest: manifest, journal: session.journal,
                                    board: session.board, rateLimiter: session.rateLimiter, retry: session.retry,
                                    stop: signals.stop, logger: logger, orphans: pipeline?.orphans ?? session.pipeline?.orphans ?? OrphanUploads())
        } catch {
            logger.error("manifest.csv cannot be used; new files wait until it is fixed", metadata: ["error": "\(error)"])
            pipeline = nil
        }
    }

    private func checkManifest() {
        let now = stamp(config.folders.drop + "/" + config.labels.manifest)
        if now != manifestStamp {
            manifestStamp = now
            logger.info("manifest changed; reading it again")
            rebuildPipeline()
        }
    }

    /// While paused for a refused password: a changed credential or password file resumes.
    private func checkCredentials(now: Double) {
        lastCredentialCheck = now
        let fingerprint = credentialFingerprint()
        guard fingerprint != credentialStamp else { return }
        credentialStamp = fingerprint
        do {
            password = try config.loadPassword(environment: environment)
        } catch {
            logger.error("the changed password cannot be used", metadata: ["error": "\(error)"])
            return
        }
        rebuildPipeline()
        paused = nil
        session.board.setPaused(nil)
        logger.notice("the password changed; uploads resumed")
    }

    private func credentialFingerprint() -> String {
        var parts: [String] = []
        if let directory = environment["CREDENTIALS_DIRECTORY"] { parts.append(stamp(directory + "/portal-password")) }
        if !config.portal.passwordFile.isEmpty { parts.append(stamp(config.portal.passwordFile)) }
        return parts.joined(separator: "|")
    }

    private func stamp(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "absent" }
        return "\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec):\(st.st_mtim.tv_nsec)"
    }

    private func maybeCompact() {
        // Compact when the journal has grown large: mostly finished items and old offsets.
        guard session.journal.fileSize > 16 << 20 else { return }
        do {
            let before = session.journal.fileSize
            try session.journal.compact()
            logger.info("journal compacted", metadata: ["before": "\(before)", "after": "\(session.journal.fileSize)"])
        } catch {
            logger.error("journal compaction failed", metadata: ["error": "\(error)"])
        }
    }

    /// The rate in force now (schedule windows, else max_rate), said once when it changes.
    private func applyRateSchedule() {
        let rate = RateSchedule.bytesPerSecondNow(config.transfer)
        if rate != session.rateLimiter.bytesPerSecond || lastAppliedRate == nil {
            session.rateLimiter.setRate(rate)
            session.board.setRateLimit(rate > 0 ? rate : nil)
            logger.info("upload rate", metadata: ["limit": "\(rate > 0 ? ByteFormatting.rate(bytesPerSecond: Double(rate)) : "unlimited")"])
        }
        lastAppliedRate = rate
    }

    // MARK: - Status

    private func statusLine() -> String {
        let snapshot = session.board.snapshot()
        let uploading = snapshot.items.filter { $0.state == .uploading }
        var parts: [String] = []
        if let paused { parts.append("PAUSED: \(paused)") }
        if !uploading.isEmpty {
            let percents = uploading.map { $0.size > 0 ? "\($0.done * 100 / $0.size)%" : "0%" }.joined(separator: ", ")
            parts.append("\(uploading.count) uploading (\(percents))")
        }
        parts.append("\(snapshot.totals.queued) queued")
        if snapshot.totals.arriving > 0 { parts.append("\(snapshot.totals.arriving) arriving") }
        parts.append("\(snapshot.totals.delivered) delivered")
        if snapshot.totals.rejected > 0 { parts.append("\(snapshot.totals.rejected) rejected") }
        if snapshot.totals.failed > 0 { parts.append("\(snapshot.totals.failed) failed") }
        return parts.joined(separator: ", ")
    }
}
