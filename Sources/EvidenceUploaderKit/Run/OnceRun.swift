import Dispatch
import Logging
import Synchronization

/// `run --once`: finish what the journal left unfinished, then everything in the drop folder
/// now, `parallel_uploads` at a time, then stop. No settle time: the caller says the folder is ready.
public struct OnceRun {
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        public var rejected = 0
        public var failed = 0
        public var stopped = 0
        public var problems: [String] = []

        /// Exit 0 only when everything found was delivered.
        public var succeeded: Bool { rejected == 0 && failed == 0 && stopped == 0 && problems.isEmpty }
    }

    let config: Config
    let password: PortalPassword?
    let stop: StopSignal
    let logger: Logger

    public init(config: Config, password: PortalPassword?, stop: StopSignal, logger: Logger) {
        self.config = config
        self.password = password
        self.stop = stop
        self.logger = logger
    }

    public func run() throws(EvidenceError) -> Summary {
        let session = try RunSession.start(config: config, password: password, stop: stop, logger: logger,
                                           retry: RetryPolicy())
        var summary = Summary()
        guard let pipeline = session.pipeline else {
            summary.problems.append(session.problem ?? "cannot start")
            return summary
        }
        var queue = session.recovered
        let scan = pipeline.drop.scan(manifestName: config.labels.manifest)
        for problem in scan.problems {
            logger.warning("drop folder problem", metadata: ["detail": "\(problem)"])
        }
        summary.problems += scan.problems
        logger.info("scanned drop folder", metadata: ["files": "\(scan.files.count)", "folder": "\(config.folders.drop)"])
        for entry in scan.unreadableNames {
            if pipeline.rejectUnreadableName(entry) { summary.rejected += 1 } else { summary.failed += 1 }
        }
        let admission = Admission(pipeline: pipeline)
        var stateFull = false
        for entry in scan.files {
            if stop.isRaised || stateFull { break }
            switch admission.admit(entry.path) {
            case let .queued(id), let .alreadyQueued(id):
                if !queue.contains(id) { queue.append(id) }
            case .rejected:
                summary.rejected += 1
            case let .deferred(reason):
                logger.warning("not taken this time", metadata: ["file": "\(entry.path)", "reason": "\(reason)"])
                summary.failed += 1
            case let .stateFull(message):
                logger.error("the state folder is full; files not yet recorded stay in the drop folder", metadata: ["error": "\(message)"])
                summary.failed += 1
                summary.problems.append(message)
                stateFull = true
            case let .journalFailure(message):
                throw EvidenceError(.journal, message)
            }
        }

        let outcomes = Mutex([Delivery.Outcome?](repeating: nil, count: queue.count))
        let next = Atomic<Int>(0)
        let ids = queue
        let items = Dictionary(uniqueKeysWithValues: pipeline.journal.unfinished().map { ($0.id, $0) })
        let workers = min(max(1, config.transfer.parallelUploads), max(ids.count, 1))
        let stop = self.stop
        let delivery = Delivery(pipeline: pipeline)
        // Dispatch's worker threads, not Swift's cooperative pool: uploads block in libcurl.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < ids.count else { return }
                guard let item = items[ids[index]], !stop.isRaised else {
                    outcomes.withLock { $0[index] = .stopped }
                    continue
                }
                let outcome = delivery.deliver(item)
                if case .journalFailure = outcome { stop.raise() }
                if case .unauthorized = outcome { stop.raise() }
                outcomes.withLock { $0[index] = outcome }
            }
        }
        pipeline.board.flush(logger: pipeline.logger)
        var journalFailure: String? = nil
        for (index, outcome) in outcomes.withLock({ $0 }).enumerated() {
            switch outcome {
            case .delivered, .duplicate: summary.delivered += 1
            case .rejected: summary.rejected += 1
            case let .journalFailure(message):
                summary.failed += 1
                journalFailure = message
            case .failed, .unauthorized: summary.failed += 1
            case .superseded:
                // Changed during its upload: still in the drop folder, so not delivered this time.
                if let path = items[ids[index]]?.relativePath, pipeline.drop.stat(path) != nil { summary.failed += 1 }
            case .stopped, nil: summary.stopped += 1
            }
        }
        logger.info("run finished", metadata: [
            "delivered": "\(summary.delivered)", "rejected": "\(summary.rejected)",
            "failed": "\(summary.failed)", "stopped": "\(summary.stopped)",
        ])
        if let message = journalFailure {
            throw EvidenceError(.journal, message)
        }
        return summary
    }
}
