import ArgumentParser
import Dispatch
import EvidenceUploaderKit
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the uploader: watch the drop folder and upload what arrives.",
        discussion: "With --once: handle everything in the drop folder now, wait for the uploads, and exit 0 only if all were delivered.")

    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Handle what is in the drop folder now, then exit.")
    var once = false

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            let logger = config.makeLogger(environment: processEnvironment())
            let passwords: PortalPasswords
            do {
                passwords = try config.loadPasswords(environment: processEnvironment())
            } catch {
                throw CommandFailure("\(error)", exitCode: 2)
            }
            let signals = Daemon.Signals()
            let watcher = SignalWatcher(signals: signals, logger: logger)
            defer { withExtendedLifetime(watcher) {} }
            if once {
                let summary = try OnceRun(config: config, passwords: passwords, signals: signals, logger: logger).run()
                if !summary.succeeded { throw ExitCode(1) }
            } else {
                try Daemon(configPath: options.config, config: config, passwords: passwords, logger: logger,
                           signals: signals, environment: processEnvironment()).run()
            }
        }
    }
}

func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

/// SIGTERM and SIGINT raise the stop signal: transfers end at the next callback, the process
/// exits with everything resumable. SIGHUP asks the daemon to reload its configuration.
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []

    init(signals: Daemon.Signals, logger: Logger) {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if number == SIGHUP {
                    signals.requestReload()
                } else {
                    logger.notice("stop requested", metadata: ["signal": "\(number == SIGTERM ? "SIGTERM" : "SIGINT")"])
                    signals.requestStop()
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
