#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
import Logging
import Synchronization

/// A swift-log handler that keeps every line (level and message, and the metadata), for tests
/// that check what the operator is told.
final class LogCapture: Sendable {
    struct Line: Sendable, Equatable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    init() {}

    var all: [Line] { lines.withLock { $0 } }
    /// The messages at `minimum` or above, in order.
    func messages(atLeast minimum: Logger.Level = .info) -> [String] { all.filter { $0.level >= minimum }.map(\.message) }

    func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(capture: self) }
    }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append(Line(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}
#endif
