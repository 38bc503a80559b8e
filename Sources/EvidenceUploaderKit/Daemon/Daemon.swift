import Dispatch
import Logging
import Synchronization
import UploaderConfig
import UploaderCore
import UploaderCurl
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The one driver of `run` and `run --once`. It feeds what happens (files found and settled,
/// transfers ended, `retry` requests, signals, time) to the `Scheduler`, which decides, and
/// performs the scheduler's actions. As a service (`run`) it also watches the drop folder
/// (inotify, or polling for network file systems), lets files settle, reloads on SIGHUP, keeps
/// `status.json` current and stops within seconds on SIGTERM with everything resumable. With
/// `--once` it takes what is in the drop folder now, without settling, and ends when the
/// scheduler says everything was tried.
///
/// `@unchecked Sendable`: every mutable property is touched only by the thread that calls
/// `run()`; transfer threads reach it only through `TransferWorkers` and `signals`, which are
/// themselves thread-safe.
public final class Daemon: @unchecked Sendable {
    public struct Signals: Sendable {
        let stop: StopSignal
        let reload: StopSignal
        let wake: DispatchSemaphore
        public init() {
            stop = StopSignal()
            reload = StopSignal()
            wake = DispatchSemaphore(value: 0)
        }

        /// SIGTERM/SIGINT: transfers end where they can resume, then the process exits.
        public func requestStop() {
            stop.raise()
            wake.signal()
        }

        /// SIGHUP: read the configuration again.
        public func requestReload() {
            reload.raise()
            wake.signal()
        }
    }

    /// The service retries for ever, backing off up to five minutes; `--once` gives up on an
    /// upload after eight failures without progress.
    static func retryPolicy(_ mode: Scheduler.Mode) -> RetryPolicy {
        switch mode {
        case .daemon: return RetryPolicy(initialDelaySeconds: 1, multiplier: 2, maxDelaySeconds: 300, maxAttemptsWithoutProgress: nil)
        case .once: return RetryPolicy()
        }
    }

    var config: Config
    let configPath: String
    var passwords: PortalPasswords
    var logger: Logger
    let signals: Signals
    let notifier: SystemdNotifier
    let environment: [String: String]
    let mode: Scheduler.Mode

    var session: RunSession!
    var pipeline: Pipeline?
    var watcher: InotifyWatcher?
    var workers: TransferWorkers
    var settler: Settler
    var scheduler: Scheduler
    let clockStart = ContinuousClock.now
    /// The routine duties besides the queue (scans, settling, status, forecast...) and when each is due.
    var routine: Routine
    var credentialStamp: String = ""
    var manifestStamp: String = ""
    var lastAppliedRate: Int64? = nil
    var dropMissing = false
    /// Set when the journal can no longer be trusted: the loop ends and `run` throws.
    var journalFailure: String? = nil
    /// The last settling of moves failed (said once).
    var settleFailing = false
    /// `--once`: the scheduler said everything was tried.
    var finishedAll = false
    /// `--once`: what stands between the run and exit status 0 besides the items.
    var problems: [String] = []
    /// The uploads' total rate lately (bytes per second), for the deadline forecast.
    var linkRate: Double = 0
    /// Items whose risk was said (log, notification), and what it was.
    var riskSaid: [UInt64: DeliveryForecast.Risk] = [:]
    /// `[notify]`, for the service.
    var notifications: Notifications?
    var summaryDay = ""
    var deliveredAtLastSummary = 0
    /// The status page: when it was last written (the run's time), whether writing it fails.
    var lastPageWrite: Duration? = nil
    var pageWriteFailed = false

    public convenience init(configPath: String, config: Config, passwords: PortalPasswords, logger: Logger,
                            signals: Signals, environment: [String: String]) {
        self.init(configPath: configPath, config: config, passwords: passwords, logger: logger,
                  signals: signals, environment: environment, mode: .daemon)
    }

    init(configPath: String, config: Config, passwords: PortalPasswords, logger: Logger,
         signals: Signals, environment: [String: String], mode: Scheduler.Mode) {
        self.configPath = configPath
        self.config = config
        self.passwords = passwords
        self.logger = logger
        self.signals = signals
        self.environment = environment
        self.mode = mode
        self.notifier = SystemdNotifier(environment: mode == .daemon ? environment : [:])
        self.workers = TransferWorkers(wake: signals.wake)
        self.settler = Settler(settleTime: config.policy.settleTime)
        self.routine = Routine(intervals: .init(poll: config.folders.pollInterval))
        self.scheduler = Scheduler(settings: .init(mode: mode, parallelUploads: config.transfer.parallelUploads,
                                                   smallFileLimit: config.transfer.chunkSize.bytes,
                                                   smallFileSlots: config.transfer.smallFileUploads))
    }

    /// The scheduler's clock: time since this driver started.
    var now: Duration { ContinuousClock.now - clockStart }

    /// Runs until SIGTERM/SIGINT. Throws when it cannot start, or when the journal can no longer
    /// be trusted (the service manager restarts it).
    public func run() throws(EvidenceError) {
        precondition(mode == .daemon)
        LinuxCalls.tuneMallocForLongRun()
        try start()
        notifications = Notifications(config.notify, logger: logger)
        defer { notifications?.shutdown() }
        manifestStamp = manifestFingerprint()
        credentialStamp = credentialFingerprint()
        applyRateSchedule()
        if config.folders.watch == .inotify {
            watcher = try InotifyWatcher(root: config.folders.drop)
            let wake = signals.wake
            try watcher?.start { wake.signal() }
        }
        scan(reason: "start")
        logger.info("watching the drop folder", metadata: [
            "folder": "\(config.folders.drop)", "mode": "\(config.folders.watch.rawValue)",
            "settle_time": "\(DurationText.format(config.policy.settleTime))", "parallel_uploads": "\(config.transfer.parallelUploads)",
        ])
        notifier.ready(status: statusLine())

        loop { now, due in
            if signals.reload.isRaised { reload() }
            let rescanned = handleHints(now: now)
            if due.contains(.scan) && !rescanned { scan(reason: isPolling ? "poll" : "periodic safety scan") }
            if due.contains(.recheckSettling) { recheckSettling() }
            if due.contains(.checkDropFolder), dropMissing || pipeline?.drop.isStillAtItsPath() == false {
                scan(reason: "the drop folder changed")
            }
            admitSettled(now: now)
            handleRequests()
        } duties: { due in
            if due.contains(.credentials) { checkCredentials() }
            if due.contains(.status) {
                notifier.status(statusLine())
                writeStatusPage()
            }
            if due.contains(.forecast) {
                updateForecast()
                maybeSendDailySummary()
            }
            if due.contains(.status) {
                maybeCompact()
                applyRateSchedule()
                writeMetrics()
            }
            if due.contains(.settleMoves) { settleMoves() }
        }
        try finish()
        writeStatusPage(running: false)
        logger.notice("stopped")
    }

    /// `run --once`: what the journal left unfinished, then everything in the drop folder now,
    /// `parallel_uploads` at a time; returns when all were tried.
    func runOnce() throws(EvidenceError) -> OnceRun.Summary {
        precondition(mode == .once)
        try start()
        var summary = OnceRun.Summary()
        guard let pipeline else {
            summary.problems.append(session.problem ?? "cannot start")
            return summary
        }
        let scan = pipeline.drop.scan(ignoring: config.intakeIgnoredPaths)
        for problem in scan.problems {
            logger.warning("drop folder problem", metadata: ["detail": "\(problem)"])
        }
        problems += scan.problems
        logger.info("scanned drop folder", metadata: ["files": "\(scan.files.count)", "folder": "\(config.folders.drop)"])
        for entry in scan.unreadableNames {
            admitted(entry.readablePath, pipeline.rejectUnreadableName(entry) ? .rejected : .deferred("could not move it to rejected/"))
        }
        let admission = Admission(pipeline: pipeline)
        for entry in scan.files where scheduler.admitsNewFiles(now: now) && !signals.stop.isRaised {
            admitted(entry.path, admission.admit(entry.path))
        }
        loop { _, _ in } duties: { due in
            if due.contains(.settleMoves) { settleMoves() }
        }
        try finish()
        let tally = scheduler.tally
        summary.delivered = tally.delivered
        summary.rejected = tally.rejected
        summary.failed = tally.failed
        summary.stopped = tally.stopped
        summary.problems += problems
        logger.info("run finished", metadata: [
            "delivered": "\(summary.delivered)", "rejected": "\(summary.rejected)",
            "failed": "\(summary.failed)", "stopped": "\(summary.stopped)",
        ])
        return summary
    }

    private func start() throws(EvidenceError) {
        session = try RunSession.start(config: config, passwords: passwords, stop: signals.stop, logger: logger,
                                       retry: Self.retryPolicy(mode))
        pipeline = session.pipeline
        let recovered = session.recovered.map { id in
            let item = session.journal.item(id: id)
            let destination = item?.destinationName ?? ""
            return Scheduler.Entry(id, destination, deadline: item.flatMap { config.deadline(unit: $0.labels.unit, destination: destination) },
                                   size: item?.size)
        }
        _ = scheduler.handle(.recovered(recovered), now: now)
    }

    /// Whether the drop folder is walked every `poll_interval` (polling, or inotify out of watches).
    var isPolling: Bool { config.folders.watch == .poll || watcher?.limitReached == true }

    /// The loop both modes share: the duties due (`Routine`), intake, transfers ended, transfers
    /// to start, the board flushed each second, then the rest of the duties due. A duty `due`
    /// names counts as done: `run` performs each in the same turn (one it skipped would wait a
    /// whole interval); `run --once` has no use for any but the board's flush and the moves'
    /// settling.
    private func loop(_ intake: (_ now: Duration, _ due: [Routine.Duty]) -> Void, duties: (_ due: [Routine.Duty]) -> Void) {
        while !signals.stop.isRaised && !finishedAll {
            let now = self.now
            let due = routine.due(now: now, .init(polling: isPolling, paused: !scheduler.paused.isEmpty))
            intake(now, due)
            for (id, ended) in workers.collect() {
                perform(scheduler.handle(.finished(id: id, ended.outcome), now: self.now), retryCause: ended.retryCause)
            }
            if journalFailure != nil || finishedAll { break }
            if pipeline != nil { perform(scheduler.handle(.tick, now: self.now)) }
            if due.contains(.status) { session.board.flush(logger: logger) }
            duties(due)
            notifier.watchdog()
            if finishedAll { break }
            _ = signals.wake.wait(timeout: .now() + .milliseconds(250))
        }
    }

    /// Stops what still runs (it ends where it can resume), records how it ended.
    private func finish() throws(EvidenceError) {
        if mode == .daemon { logger.notice("stopping: letting transfers end where they can resume") }
        notifier.stopping()
        _ = scheduler.handle(.stop, now: now)
        signals.stop.raise()
        watcher?.shutdown()
        for (id, ended) in workers.waitForAll(timeoutSeconds: 4) {
            if case .journalFailure = ended.outcome, journalFailure != nil { continue }
            perform(scheduler.handle(.finished(id: id, ended.outcome), now: now), retryCause: ended.retryCause)
        }
        if mode == .once, !finishedAll {
            // Stopped before everything was tried: what is still queued counts as stopped.
            perform(scheduler.handle(.tick, now: now))
        }
        session.board.flush(logger: logger)
        // The last moves are settled, and the records that waited for a later sync (`moved`,
        // `offset`...) made durable.
        if journalFailure == nil {
            settleMoves()
            try session.journal.sync()
        }
        if let journalFailure {
            throw EvidenceError(.journal, journalFailure)
        }
    }
}
