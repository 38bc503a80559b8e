/// How log lines are written: plain text for journald, or one JSON object per line.
package enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}
