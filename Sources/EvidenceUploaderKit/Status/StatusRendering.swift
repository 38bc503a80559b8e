/// `status` in words: one line per item with labels, state, progress bar, rate and ETA, then totals.
public enum StatusRendering {
    public static func text(_ s: StatusSnapshot, now: Int64, running: Bool, width: Int = 100) -> String {
        var lines: [String] = []
        let age = now - s.updatedAt
        if running {
            lines.append("evidence-uploader: running (pid \(s.pid), up \(duration(Double(now - s.startedAt))))")
        } else {
            lines.append("evidence-uploader: NOT RUNNING (status from \(Notes.localTime(s.updatedAt)), \(duration(Double(age))) ago)")
        }
        if let paused = s.paused { lines.append("PAUSED: \(paused)") }
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
        for item in s.items {
            let id = item.id.map { "#\($0)" } ?? "-"
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
            var detail = "       \(item.path.debugQuoted)"
            if let candidate = item.candidate, let unit = item.unit { detail += "  candidate \(candidate), unit \(unit)" }
            lines.append(detail)
            if let message = item.message, !message.isEmpty { lines.append("       \(message)") }
        }
        let t = s.totals
        lines.append("")
        lines.append("totals: \(t.uploading) uploading, \(t.queued) queued, \(t.arriving) arriving, \(t.delivered) delivered, \(t.rejected) rejected, \(t.failed) failed; \(ByteFormatting.rate(bytesPerSecond: t.bytesPerSecond)) now")
        return lines.joined(separator: "\n") + "\n"
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
