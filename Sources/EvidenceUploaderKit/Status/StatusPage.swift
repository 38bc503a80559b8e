import UploaderConfig
import UploaderCore

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

    /// At most this many files are listed per unit, and this many on the whole page: 10,000 rows
    /// are megabytes of HTML every few seconds and no help to a reader. The rest are counted in a
    /// line that points to `evidence-uploader status`; the summary always counts every file.
    static let rowsPerTable = 200
    static let rowsPerPage = 1_000

    static func row(_ item: StatusSnapshot.Item, _ s: StatusSnapshot, _ context: Context) -> Row {
        Row(item: item, destination: item.destination ?? "", unit: item.unit ?? "", name: name(item),
            words: words(item, running: context.running), attention: needsAttention(item, paused: s.paused != nil))
    }

    /// The file's name: the last component of its path.
    static func name(_ item: StatusSnapshot.Item) -> String {
        String(lastComponent(item.path))
    }

    static func lastComponent(_ path: String) -> Substring {
        path.split(separator: "/").last ?? ""
    }

    /// One table of the page: the files of one destination and unit, those that need attention
    /// first, then by name; `shown` of them listed (the first ones), the rest only counted.
    struct Group {
        var destination: String
        var unit: String
        var indices: ArraySlice<Int>
        var shown: Int
        var hidden: Int { indices.count - shown }
    }

    /// The items grouped by destination and unit (both sorted), each group in the page's order,
    /// with how many of each are listed under `rowsPerTable` and `rowsPerPage`. Sorts indices,
    /// not items.
    static func groups(_ s: StatusSnapshot, perTable: Int = rowsPerTable, perPage: Int = rowsPerPage) -> [Group] {
        let items = s.items
        let names = items.map { lastComponent($0.path) }
        let attention = items.map { needsAttention($0, paused: s.paused != nil) }
        let order = items.indices.sorted { a, b in
            let x = items[a], y = items[b]
            let dx = x.destination ?? "", dy = y.destination ?? ""
            if dx != dy { return dx < dy }
            let ux = x.unit ?? "", uy = y.unit ?? ""
            if ux != uy { return ux < uy }
            if attention[a] != attention[b] { return attention[a] }
            return names[a] < names[b]
        }
        var groups: [Group] = []
        var budget = perPage
        var start = order.startIndex
        while start < order.endIndex {
            let first = items[order[start]]
            var end = start + 1
            while end < order.endIndex, items[order[end]].destination ?? "" == first.destination ?? "",
                  items[order[end]].unit ?? "" == first.unit ?? "" { end += 1 }
            let shown = min(end - start, perTable, budget)
            budget -= shown
            groups.append(Group(destination: first.destination ?? "", unit: first.unit ?? "", indices: order[start..<end], shown: shown))
            start = end
        }
        return groups
    }

    /// "and 9,800 more files in this unit": what stands for the files not listed.
    static func moreLine(_ hidden: Int, listed: Int) -> String {
        (listed == 0 ? "\(grouped(hidden)) \(hidden == 1 ? "file" : "files") in this unit, not listed here"
                     : "and \(grouped(hidden)) more \(hidden == 1 ? "file" : "files") in this unit, not listed here")
            + ": run `evidence-uploader status` for the full list"
    }

    /// 9800 as "9,800".
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = number < 0 ? "-" : ""
        for (n, digit) in digits.enumerated() {
            if n > 0 && (digits.count - n) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
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

        mutating func count(_ item: StatusSnapshot.Item, attention needs: Bool, _ context: Context) {
            switch item.state {
            case .delivered where item.since >= context.startOfToday: deliveredToday += 1
            case .uploading, .hashing, .compressing: sending += 1
            case .queued, .retrying, .arriving, .paused: waiting += 1
            default: break
            }
            if needs { attention += 1 }
        }
    }

    /// Every item of the snapshot counted, listed or not.
    static func summary(_ s: StatusSnapshot, _ context: Context) -> Summary {
        var summary = Summary()
        for item in s.items { summary.count(item, attention: needsAttention(item, paused: s.paused != nil), context) }
        return summary
    }

    // MARK: - HTML

    static func html(_ s: StatusSnapshot, _ context: Context) -> String {
        String(decoding: htmlBytes(s, context), as: UTF8.self)
    }

    /// The page as the bytes written: no String of it, no copy.
    static func htmlBytes(_ s: StatusSnapshot, _ context: Context) -> [UInt8] {
        let groups = groups(s)
        let sum = summary(s, context)
        let listed = groups.reduce(0) { $0 + $1.shown }
        // About 350 bytes a row: reserved at once, not doubled (and copied) ten times over.
        var out = PageBytes(capacity: 4096 + 400 * listed + 300 * groups.count)
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
        if s.items.isEmpty {
            out += "<p>Nothing is waiting. Files dropped into this folder appear here.</p>\n"
        }
        var destination: String? = nil
        for group in groups {
            if group.destination != destination {
                destination = group.destination
                if !group.destination.isEmpty {
                    let state = s.destinations?.first { $0.name == group.destination }?.paused.map { " (on hold: \(escape($0)))" } ?? ""
                    out += "<h2>\(escape(group.destination))\(state)</h2>\n"
                }
            }
            out += "<h3>\(group.unit.isEmpty ? "No unit yet" : "Unit " + escape(group.unit))</h3>\n"
            if group.shown > 0 {
                out += "<table>\n<tr><th>File</th><th>Candidate</th><th>State</th><th>Progress</th><th>Expected</th><th>Deadline</th></tr>\n"
                for index in group.indices.prefix(group.shown) {
                    out += tableRow(row(s.items[index], s, context), context)
                }
                out += "</table>\n"
            }
            if group.hidden > 0 {
                out += "<p class=\"more\">\(escape(moreLine(group.hidden, listed: group.shown)).replacing("`evidence-uploader status`", with: "<code>evidence-uploader status</code>"))</p>\n"
            }
        }
        out += "</body>\n</html>\n"
        return out.bytes
    }

    static func tableRow(_ row: Row, _ context: Context) -> String {
        let item = row.item
        var state = escape(row.words)
        if item.state == .rejected {
            state += "<br>" + escape(item.message ?? "")
            if let link = context.rejectedLink {
                state += " <a href=\"\(escapeAttribute(link + percentEncoded(item.path) + Notes.reasonSuffix))\">Read why</a>"
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
        String(decoding: textBytes(s, context), as: UTF8.self)
    }

    /// The plain-text twin as the bytes written; the same files listed as on the page, in its order.
    static func textBytes(_ s: StatusSnapshot, _ context: Context) -> [UInt8] {
        let groups = groups(s)
        let sum = summary(s, context)
        let listed = groups.reduce(0) { $0 + $1.shown }
        var out = PageBytes(capacity: 1024 + 160 * listed + 160 * groups.count)
        out += "Evidence uploads, updated \(Notes.localTime(context.now))\n\n"
        if !context.running { out += "THE UPLOADER IS NOT RUNNING: nothing is being sent. Tell IT.\n" }
        else if let paused = s.paused { out += "UPLOADS ON HOLD: \(paused). IT has been told.\n" }
        if let problem = s.problem { out += "NEW FILES ARE NOT TAKEN YET: \(problem)\n" }
        out += "\(sum.deliveredToday) delivered today, \(sum.sending) sending, \(sum.waiting) waiting, \(sum.attention) need attention\n"
        for group in groups {
            for index in group.indices.prefix(group.shown) {
                let row = row(s.items[index], s, context)
                let item = row.item
                var line = "- " + about(row.destination, row.unit, item.candidate) + "\(row.name): \(row.words)"
                if [.uploading, .retrying].contains(item.state), item.size > 0 { line += " (\(item.done * 100 / item.size)%)" }
                if let deadline = item.deadline { line += "; due \(Notes.localTime(deadline))" }
                if item.risk == "overdue" { line += " OVERDUE" }
                if item.risk == "at_risk" { line += " AT RISK" }
                if item.state == .rejected, let message = item.message { line += "\n    why: \(message)" }
                out += NotificationEvent.oneLine(line).replacing("    why:", with: "\n    why:")
                out += "\n"
            }
            if group.hidden > 0 {
                out += NotificationEvent.oneLine("- " + about(group.destination, group.unit, nil) + moreLine(group.hidden, listed: group.shown))
                out += "\n"
            }
        }
        return out.bytes
    }

    /// "AQA, unit 8711-305, candidate 1234: " (what is known of it), or "".
    private static func about(_ destination: String, _ unit: String, _ candidate: String?) -> String {
        let about = [destination, unit.isEmpty ? nil : "unit \(unit)", candidate.map { "candidate \($0)" }]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        return about.isEmpty ? "" : about + ": "
    }

    /// The page's bytes as they are written.
    struct PageBytes {
        var bytes: [UInt8] = []
        init(capacity: Int) { bytes.reserveCapacity(capacity) }
        static func += (out: inout PageBytes, text: String) { out.bytes.append(contentsOf: text.utf8) }
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
