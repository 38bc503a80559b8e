import Logging
import UploaderConfig
import UploaderCore

/// `run --once`: the daemon's driver in its once mode (`Daemon.runOnce`): what the journal left
/// unfinished, then everything in the drop folder now, `parallel_uploads` at a time, then stop.
/// No settle time: the caller says the folder is ready.
public struct OnceRun {
    public struct Summary: Sendable, Equatable {
        var delivered = 0
        var rejected = 0
        var failed = 0
        var stopped = 0
        var problems: [String] = []

        /// Exit 0 only when everything found was delivered.
        public var succeeded: Bool { rejected == 0 && failed == 0 && stopped == 0 && problems.isEmpty }
    }

    let config: Config
    let passwords: PortalPasswords
    let signals: Daemon.Signals
    let logger: Logger

    public init(config: Config, passwords: PortalPasswords, signals: Daemon.Signals, logger: Logger) {
        self.config = config
        self.passwords = passwords
        self.signals = signals
        self.logger = logger
    }

    public func run() throws(EvidenceError) -> Summary {
        try Daemon(configPath: "", config: config, passwords: passwords, logger: logger, signals: signals,
                   environment: [:], mode: .once).runOnce()
    }
}
