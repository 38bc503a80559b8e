/// The page exams officers read in the shared drop folder (`UPLOAD-STATUS.html`) and its plain-text
/// twin: what was delivered, what is on its way and when it will arrive, what needs them and why.
/// One self-contained file: no scripts, no external assets; a meta refresh keeps an open page current.
enum StatusPage {
    struct Context {
        var now: Int64
        /// Seconds since the epoch of today's local midnight.
        var startOfToday: Int64
        /// How to reach a rejected file's reason note from the drop folder ("../rejected/").
        var rejectedLink: String?
        var running: Bool
    }

    /// A file's line on the page.
    struct Row {
        var item: StatusSnapshot.Item
        var destination: String
        var unit: String
        var name: String
        var words: String
        var attention: Bool
    }

    static func rows(_ s: StatusSnapshot, _ context: Context) -> [Row] {
        s.items.map { item in
            let parts = item.path.split(separator: "/")
            let destination = item.destination ?? ""
            return Row(item: item, destination: destination, unit: item.unit ?? "", name: String(parts.last ?? ""),
                       words: words(item, running: context.running), attention: needsAttention(item, paused: s.paused != nil))
        }
    }

    static func needsAttention(_ item: StatusSnapshot.Item, paused: Bool) -> Bool {
        item.state == .rejected || item.state == .failed || item.state == .paused || item.risk != nil
    }

    /// The state in plain words.
    static func words(_ item: StatusSnapshot.Item, running: Bool) -> String {
        if !running, [.queued, .hashing, .compressing, .uploading, .retrying, .paused].contains(item.state) {
            return "waiting: the uploader is stopped"
        }
        switch item.state {
        case .arriving: return "still arriving (being copied in)"
        case .queued: return "waiting its turn"
        case .hashing: return "being checked before sending"
        case .compressing: return "being made smaller to fit the portal's limit (the original is kept)"
        case .uploading: return "sending"
        case .retrying: return "waiting to try again (the connection or the portal failed)"
        case .paused: return "on hold: the portal refused the centre's password (IT has been told)"
        case .delivered: return "delivered"
        case .rejected: return "not sent: needs you"
        case .failed: return "not sent yet: IT is looking into it"
        }
    }

    struct Summary: Equatable {
        var deliveredToday = 0
        var sending = 0
        var waiting = 0
        var attention = 0
    }

    static func summary(_ rows: [Row], _ context: Context) -> Summary {
        var summary = Summary()
        for row in rows {
            switch row.item.state {
            case .delivered where row.item.since >= context.startOfToday: summary.deliveredToday += 1
            case .uploading, .hashing, .compressing: summary.sending += 1
            case .queued, .retrying, .arriving, .paused: summary.waiting += 1
            default: break
            }
            if row.attention { summary.attention += 1 }
        }
        return summary
    }

    // MARK: - HTML

    static func html(_ s: StatusSnapshot, _ context: Context) -> String {
        let rows = rows(s, context)
        let sum = summary(rows, context)
        // About 350 bytes a row: reserved at once, not doubled (and copied) ten times over.
        var out = ""
        out.reserveCapacity(4096 + 400 * rows.count)
        out += """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="refresh" content="15">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Evidence uploads</title>
        <style>
        body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
        h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.4em 0 .3em}h3{font-size:1em;margin:1em 0 .3em;color:#444}
        .updated{color:#555;margin:0 0 1em}.summary{font-size:1.15em;margin:.5em 0 1em}
        .banner{background:#fde2e1;border:1px solid #c0392b;padding:.6em .8em;margin:0 0 1em}
        table{border-collapse:collapse;width:100%;max-width:70em}th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd;vertical-align:top}
        th{background:#f3f3f3}.bar{width:9em;height:.9em;background:#e6e6e6;border:1px solid #bbb}.bar div{height:100%;background:#2e7d32}
        .attention td{background:#fff4e5}.risk{color:#b71c1c;font-weight:bold}.done{color:#2e7d32}
        </style>
        </head>
        <body>
        <h1>Evidence uploads</h1>

        """
        out += "<p class=\"updated\">Updated \(escape(Notes.localTime(context.now))). This page refreshes itself.</p>\n"
        if !context.running {
            out += "<p class=\"banner\">The uploader is not running: nothing is being sent. Tell IT.</p>\n"
        } else if let paused = s.paused {
            out += "<p class=\"banner\">Uploads are on hold: \(escape(paused)). IT has been told.</p>\n"
        }
        if let problem = s.problem {
            out += "<p class=\"banner\">New files are not taken yet: \(escape(problem))</p>\n"
        }
        out += "<p class=\"summary\"><strong>\(sum.deliveredToday)</strong> delivered today &middot; <strong>\(sum.sending)</strong> sending &middot; <strong>\(sum.waiting)</strong> waiting &middot; <strong>\(sum.attention)</strong> need attention</p>\n"
        if rows.isEmpty {
            out += "<p>Nothing is waiting. Files dropped into this folder appear here.</p>\n"
        }
        // Rows are grouped and sorted by their index, not copied (10,000 rows are 3 MB).
        let byDestination = Dictionary(grouping: rows.indices, by: { rows[$0].destination })
        for destination in byDestination.keys.sorted() {
            let group = byDestination[destination]!
            if !destination.isEmpty {
                let state = s.destinations?.first { $0.name == destination }?.paused.map { " (on hold: \(escape($0)))" } ?? ""
                out += "<h2>\(escape(destination))\(state)</h2>\n"
            }
            let byUnit = Dictionary(grouping: group, by: { rows[$0].unit })
            for unit in byUnit.keys.sorted() {
                out += "<h3>\(unit.isEmpty ? "No unit yet" : "Unit " + escape(unit))</h3>\n"
                out += "<table>\n<tr><th>File</th><th>Candidate</th><th>State</th><th>Progress</th><th>Expected</th><th>Deadline</th></tr>\n"
                let order = byUnit[unit]!.sorted { a, b in
                    (rows[a].attention ? 0 : 1, rows[a].name) < (rows[b].attention ? 0 : 1, rows[b].name)
                }
                for index in order {
                    out += tableRow(rows[index], context)
                }
                out += "</table>\n"
            }
        }
        out += "</body>\n</html>\n"
        return out
    }

    static func tableRow(_ row: Row, _ context: Context) -> String {
        let item = row.item
        var state = escape(row.words)
        if item.state == .rejected {
            state += "<br>" + escape(item.message ?? "")
            if let link = context.rejectedLink {
                state += " <a href=\"\(escapeAttribute(link + percentEncoded(item.path) + ".reason.txt"))\">Read why</a>"
            }
        } else if item.state == .failed, let message = item.message {
            state += "<br><small>\(escape(message))</small>"
        }
        if item.state == .delivered { state = "<span class=\"done\">\(state)</span>" }
        var progress = ""
        if [.uploading, .retrying, .queued, .hashing, .paused].contains(item.state), item.size > 0 {
            let percent = Int(min(100, max(0, item.done * 100 / item.size)))
            progress = "<div class=\"bar\"><div style=\"width:\(percent)%\"></div></div>\(percent)% of \(escape(ByteFormatting.human(item.size)))"
        } else {
            progress = escape(ByteFormatting.human(item.size))
        }
        var expected = ""
        if let delivery = item.estimatedDelivery, item.state != .delivered {
            expected = escape(Notes.localTime(delivery))
        } else if let eta = item.etaSeconds, eta.isFinite {
            expected = "in " + escape(StatusRendering.duration(eta))
        }
        var deadline = item.deadline.map { escape(Notes.localTime($0)) } ?? ""
        if item.risk == "overdue" { deadline += " <span class=\"risk\">OVERDUE</span>" }
        if item.risk == "at_risk" { deadline += " <span class=\"risk\">AT RISK: may arrive late</span>" }
        return "<tr\(row.attention ? " class=\"attention\"" : "")><td>\(escape(row.name))</td><td>\(escape(item.candidate ?? ""))</td><td>\(state)</td><td>\(progress)</td><td>\(expected)</td><td>\(deadline)</td></tr>\n"
    }

    // MARK: - Plain text

    static func text(_ s: StatusSnapshot, _ context: Context) -> String {
        let rows = rows(s, context)
        let sum = summary(rows, context)
        var lines = ["Evidence uploads, updated \(Notes.localTime(context.now))", ""]
        if !context.running { lines.append("THE UPLOADER IS NOT RUNNING: nothing is being sent. Tell IT.") }
        else if let paused = s.paused { lines.append("UPLOADS ON HOLD: \(paused). IT has been told.") }
        if let problem = s.problem { lines.append("NEW FILES ARE NOT TAKEN YET: \(problem)") }
        lines.append("\(sum.deliveredToday) delivered today, \(sum.sending) sending, \(sum.waiting) waiting, \(sum.attention) need attention")
        let order = rows.indices.sorted { a, b in
            (rows[a].destination, rows[a].unit, rows[a].name) < (rows[b].destination, rows[b].unit, rows[b].name)
        }
        for index in order {
            let row = rows[index]
            let item = row.item
            let about = [row.destination, row.unit.isEmpty ? nil : "unit \(row.unit)", item.candidate.map { "candidate \($0)" }]
                .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            var line = "- " + (about.isEmpty ? "" : about + ": ") + "\(row.name): \(row.words)"
            if [.uploading, .retrying].contains(item.state), item.size > 0 { line += " (\(item.done * 100 / item.size)%)" }
            if let deadline = item.deadline { line += "; due \(Notes.localTime(deadline))" }
            if item.risk == "overdue" { line += " OVERDUE" }
            if item.risk == "at_risk" { line += " AT RISK" }
            if item.state == .rejected, let message = item.message { line += "\n    why: \(message)" }
            lines.append(NotificationEvent.oneLine(line).replacing("    why:", with: "\n    why:"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Escaping

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar.value < 0x20 ? " " : scalar)
            }
        }
        return out
    }

    static func escapeAttribute(_ text: String) -> String { escape(text) }

    /// Each path component percent-encoded for an href (slashes kept).
    static func percentEncoded(_ path: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var out = ""
        for byte in path.utf8 {
            if unreserved.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) }
            else { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2) }
        }
        return out
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
