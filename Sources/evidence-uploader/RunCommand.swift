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
            let logger = makeLogger(config)
            let password: PortalPassword?
            do {
                password = try config.loadPassword(environment: processEnvironment())
            } catch {
                throw CommandFailure("\(error)", exitCode: 2)
            }
            guard once else {
                throw CommandFailure("the long-running daemon is not built yet; use `run --once` (see the README)", exitCode: 2)
            }
            let stop = StopSignal()
            let signals = SignalWatcher(stop: stop, logger: logger)
            defer { withExtendedLifetime(signals) {} }
            let summary = try OnceRun(config: config, password: password, stop: stop, logger: logger).run()
            if !summary.succeeded { throw ExitCode(1) }
        }
    }
}

func makeLogger(_ config: Config) -> Logger {
    let environment = processEnvironment()
    let style = LineLogHandler.style(json: config.log.format == .json, environment: environment)
    let level = Logger.Level(rawValue: config.log.level.rawValue) ?? .info
    return Logger(label: "evidence-uploader") { label in
        LineLogHandler(label: label, level: level, style: style)
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
/// exits with everything resumable.
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []

    init(stop: StopSignal, logger: Logger) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.notice("stopping", metadata: ["signal": "\(number == SIGTERM ? "SIGTERM" : "SIGINT")"])
                stop.raise()
            }
            source.resume()
            sources.append(source)
        }
    }
}
