/// How log lines are written: plain text for journald, or one JSON object per line.
enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}
