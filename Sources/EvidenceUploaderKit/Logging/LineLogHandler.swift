import Logging
import Synchronization
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr: readable text on a terminal, `<N>`-prefixed lines without a
/// timestamp when journald reads stderr (`JOURNAL_STREAM`), or JSON for log shippers.
/// Messages are constant; the data is in the metadata.
struct LineLogHandler: LogHandler {
    enum Style: Sendable { case text, journal, json }

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private let label: String
    private let style: Style
    private static let writeLock = Mutex(())

    init(label: String, level: Logger.Level, style: Style) {
        self.label = label
        self.logLevel = level
        self.style = style
    }

    /// The style for this process: JSON when asked, journal when stderr is the journal.
    static func style(json: Bool, environment: [String: String]) -> Style {
        if json { return .json }
        if let stream = environment["JOURNAL_STREAM"], stderrMatches(stream) { return .journal }
        return .text
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        switch style {
        case .text:
            line = "\(Self.timestamp()) \(event.level.rawValue.uppercased().padding(7)) \(event.message)\(Self.pairs(all))"
        case .journal:
            line = "<\(Self.syslogPriority(event.level))>\(event.message)\(Self.pairs(all))"
        case .json:
            var fields = "{\"time\":\(Self.jsonString(Self.timestamp())),\"level\":\(Self.jsonString(event.level.rawValue)),\"message\":\(Self.jsonString(event.message.description))"
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                fields += ",\(Self.jsonString(key)):\(Self.jsonString(value.description))"
            }
            line = fields + "}"
        }
        let bytes = Array((line + "\n").utf8)
        Self.writeLock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(2, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { if errno == EINTR { continue } else { break } }
                    done += n
                }
            }
        }
    }

    static func pairs(_ metadata: Logger.Metadata) -> String {
        metadata.sorted { $0.key < $1.key }.map { key, value in
            let text = value.description
            let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && $0 != "\"" }
            return " \(key)=\(plain ? text : text.debugQuoted)"
        }.joined()
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    static func timestamp() -> String {
        WallClock.localText(WallClock.now(), format: "%Y-%m-%dT%H:%M:%S%z")
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// JOURNAL_STREAM is "device:inode" of the journal's stream; compare with stderr's.
    private static func stderrMatches(_ stream: String) -> Bool {
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
