import Dispatch
import Logging
import Synchronization

/// `run --once`: everything in the drop folder now, `parallel_uploads` at a time, then stop.
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
        try StateFolder.prepare(config)
        let drop = try DropFolder(path: config.folders.drop)
        var summary = Summary()
        let manifest: Manifest?
        do {
            manifest = try ManifestLoader.load(from: drop, name: config.labels.manifest)
        } catch {
            logger.error("manifest.csv cannot be used; nothing is uploaded until it is fixed", metadata: ["error": "\(error.message)"])
            summary.problems.append(error.message)
            return summary
        }
        let scan = drop.scan(manifestName: config.labels.manifest)
        for problem in scan.problems {
            logger.warning("drop folder problem", metadata: ["detail": "\(problem)"])
        }
        summary.problems += scan.problems
        logger.info("scanned drop folder", metadata: ["files": "\(scan.files.count)", "folder": "\(config.folders.drop)"])
        guard !scan.files.isEmpty else { return summary }

        let processor = try EvidenceProcessor(
            config: config, password: password, drop: drop, manifest: manifest,
            retry: RetryPolicy(), stop: stop, logger: logger)
        let outcomes = Mutex([EvidenceProcessor.Outcome?](repeating: nil, count: scan.files.count))
        let next = Atomic<Int>(0)
        let files = scan.files
        let workers = min(max(1, config.transfer.parallelUploads), files.count)
        let stop = self.stop
        // Dispatch's worker threads, not Swift's cooperative pool: uploads block in libcurl.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < files.count else { return }
                let outcome = stop.isRaised ? .stopped : processor.process(files[index])
                outcomes.withLock { $0[index] = outcome }
            }
        }
        for outcome in outcomes.withLock({ $0 }) {
            switch outcome {
            case .delivered: summary.delivered += 1
            case .rejected: summary.rejected += 1
            case .failed: summary.failed += 1
            case .stopped, nil: summary.stopped += 1
            }
        }
        logger.info("run finished", metadata: [
            "delivered": "\(summary.delivered)", "rejected": "\(summary.rejected)",
            "failed": "\(summary.failed)", "stopped": "\(summary.stopped)",
        ])
        return summary
    }
}
