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

    var config: Config
    let configPath: String
    var password: PortalPassword?
    var logger: Logger
    let signals: Signals
    let notifier: SystemdNotifier
    let environment: [String: String]

    var session: RunSession!
    var pipeline: Pipeline?
    var watcher: InotifyWatcher?
    var workers: TransferWorkers
    var settler: Settler
    var pending: [UInt64] = []
    var notBefore: [UInt64: Double] = [:]
    var failed: [UInt64: String] = [:]
    var paused: String?
    var lastScan = -Double.infinity
    var lastStatus = 0.0
    var lastRecheck = 0.0
    var lastCredentialCheck = 0.0
    var credentialStamp: String = ""
    var manifestStamp: String = ""
    var deferredSince: [String: Double] = [:]
    var lastAppliedRate: Int64? = nil
    var dropMissing = false
    /// While the state folder is full: no admissions before this time.
    var stateFullUntil: Double? = nil
    /// Set when the journal can no longer be trusted: the loop ends and `run` throws.
    var journalFailure: String? = nil
    var lastDropCheck = 0.0

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
            } else if now - lastScan >= 120 {
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
                session.board.flush(logger: logger)
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
        session.board.flush(logger: logger)
        if let journalFailure {
            throw EvidenceError(.journal, journalFailure)
        }
        logger.notice("stopped")
    }

    // MARK: - Transfers

    func startTransfers(now: Double) {
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
    func handle(_ outcome: Delivery.Outcome, id: UInt64) -> String? {
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

    func handleRequests() {
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

}
