import Logging
import UploaderConfig

extension Config {
    /// The logger `[log]` asks for: its level, and lines as text with timestamps, as systemd
    /// journal lines (under systemd, `JOURNAL_STREAM`), or JSON (`format = "json"`), on stderr.
    public func makeLogger(environment: [String: String]) -> Logger {
        let style = LineLogHandler.style(json: log.format == .json, environment: environment)
        let level = Logger.Level(rawValue: log.level.rawValue) ?? .info
        return Logger(label: "evidence-uploader") { label in
            LineLogHandler(label: label, level: level, style: style)
        }
    }
}
