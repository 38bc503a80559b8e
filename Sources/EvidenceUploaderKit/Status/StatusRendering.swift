import UploaderCore

/// `status` in words: one line per item with labels, state, progress bar, rate and ETA, then totals.
/// `status --json`: the same snapshot as JSON.
///
/// The status file is the daemon's last word. When the daemon is not running nothing moves, so
/// what it was working on is shown as waiting, without a rate or an ETA.
public enum StatusRendering {
    /// The state shown, in text and in JSON, for an item the daemon was working on when it stopped.
    static let waitingForDaemon = "waiting (daemon stopped)"

    /// States that only hold while the daemon runs.
    static func isStale(_ state: StatusSnapshot.Item.State, running: Bool) -> Bool {
        guard !running else { return false }
        switch state {
        case .queued, .hashing, .compressing, .uploading, .retrying, .paused: return true
        case .arriving, .delivered, .rejected, .failed: return false
        }
    }

    public static func text(_ s: StatusSnapshot, now: Int64, running: Bool, width: Int = 100) -> String {
        var lines: [String] = []
        let age = now - s.updatedAt
        if running {
            lines.append("evidence-uploader: running (pid \(s.pid), up \(duration(Double(now - s.startedAt))))")
        } else {
            lines.append("evidence-uploader: NOT RUNNING (status from \(Notes.localTime(s.updatedAt)), \(duration(Double(age))) ago)")
            lines.append("nothing is being sent until it is started again")
        }
        if let paused = s.paused { lines.append("PAUSED: \(paused)") }
        if let problem = s.problem { lines.append("NEW FILES WAIT: \(problem)") }
        for destination in s.destinations ?? [] {
            lines.append("destination \(destination.name) (folder \(destination.folder)/): "
                         + (destination.paused.map { "PAUSED: \($0)" } ?? "active"))
        }
        if let limit = s.rateLimitBytesPerSecond, limit > 0 {
            lines.append("rate limit: \(ByteFormatting.rate(bytesPerSecond: Double(limit)))")
        }
        for limit in s.requestLimits ?? [] {
            lines.append("portal \(limit.portal) takes at most \(ByteFormatting.human(limit.maxRequestBytes)) per request (\(limit.reason)); chunks are sent no larger")
        }
        lines.append("")
        if s.items.isEmpty {
            lines.append("nothing in the queue")
        }
        var waiting = 0
        for item in s.items {
            let id = item.id.map { "#\($0)" } ?? "-"
            if isStale(item.state, running: running) {
                waiting += 1
                var line = "\(pad(id, 6)) \(waitingForDaemon) "
                line += bar(done: item.done, size: item.size) + " "
                line += "\(ByteFormatting.human(item.done))/\(ByteFormatting.human(item.size))"
                lines.append(line)
                appendDetail(item, to: &lines)
                continue
            }
            var line = "\(pad(id, 6)) \(pad(item.state.rawValue, 19)) "
            switch item.state {
            case .uploading, .retrying, .hashing, .queued, .paused:
                line += bar(done: item.done, size: item.size) + " "
                line += pad("\(ByteFormatting.human(item.done))/\(ByteFormatting.human(item.size))", 20)
                if let rate = item.bytesPerSecond { line += " " + pad(ByteFormatting.rate(bytesPerSecond: rate), 13) }
                if let eta = item.etaSeconds, eta.isFinite { line += " ETA " + duration(eta) }
            default:
                line += pad(ByteFormatting.human(item.size), 10)
            }
            lines.append(line)
            appendDetail(item, to: &lines)
        }
        let t = s.totals
        lines.append("")
        if running {
            lines.append("totals: \(t.uploading) uploading, \(t.queued) queued, \(t.arriving) arriving, \(t.delivered) delivered, \(t.rejected) rejected, \(t.failed) failed; \(ByteFormatting.rate(bytesPerSecond: t.bytesPerSecond)) now")
        } else {
            lines.append("totals: \(waiting) \(waitingForDaemon), \(t.arriving) arriving, \(t.delivered) delivered, \(t.rejected) rejected, \(t.failed) failed")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func appendDetail(_ item: StatusSnapshot.Item, to lines: inout [String]) {
        var detail = "       \(item.path.debugQuoted)"
        if let destination = item.destination { detail += "  \(destination):" }
        if let candidate = item.candidate, let unit = item.unit { detail += "  candidate \(candidate), unit \(unit)" }
        lines.append(detail)
        if let deadline = item.deadline {
            var due = "       due \(Notes.localTime(deadline))"
            if item.risk == "overdue" { due += "  OVERDUE: the deadline has passed" }
            if item.risk == "at_risk" { due += "  AT RISK: expected \(item.estimatedDelivery.map { Notes.localTime($0) } ?? "not within 90 days") at the current rate" }
            lines.append(due)
        }
        if let message = item.message, !message.isEmpty { lines.append("       \(message)") }
    }

    /// The snapshot as JSON with the field names of `status.json`, plus `running`. When the daemon
    /// is not running, an item it was working on has `state` "waiting (daemon stopped)", its last
    /// state in `stateWhenStopped`, and no `bytesPerSecond` or `etaSeconds`; the totals count it in
    /// `waiting`, not in `queued` or `uploading`, and `bytesPerSecond` is 0. `pretty`: indented;
    /// otherwise one line. Slashes are not escaped.
    public static func json(_ s: StatusSnapshot, running: Bool, pretty: Bool = true) throws -> String {
        var writer = JSONWriter(.init(pretty: pretty, escapeSlashes: false), capacity: 1024 + 300 * s.items.count)
        s.writeJSON(to: &writer, view: .command(running: running))
        return writer.text
    }

    static func bar(done: Int64, size: Int64, width: Int = 20) -> String {
        let fraction = size > 0 ? min(1, max(0, Double(done) / Double(size))) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let percent = Int((fraction * 100).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + pad("\(percent)%", 4)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        if s < 86400 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) d \(s % 86400 / 3600) h"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
