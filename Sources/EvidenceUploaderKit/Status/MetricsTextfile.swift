import Logging
import Synchronization
import UploaderCore
import UploaderCurl
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's numbers in the Prometheus text exposition format (version 0.0.4), for
/// node_exporter's textfile collector: `[metrics] textfile = ".../evidence_uploader.prom"`.
/// No listening socket: node_exporter reads the file, so the unit's exposure stays as it is.
///
/// `render` is pure (a snapshot in, text out); `Writer` replaces the file atomically, so
/// node_exporter never reads half of one. Written by hand rather than with swift-metrics or
/// swift-prometheus: a dozen families of gauges and counters, all already counted by the status
/// board, need one escaper and a loop, not two more packages to fetch and compile.
enum MetricsTextfile {
    /// The states an item can be in before it is finished, as label values.
    static let activeStates: [(StatusSnapshot.Item.State, String)] = [
        (.arriving, "arriving"), (.queued, "queued"), (.hashing, "hashing"),
        (.uploading, "uploading"), (.retrying, "retrying"), (.paused, "paused"),
    ]

    /// The whole file. `journalBytes` nil leaves the journal's size out.
    static func render(_ snapshot: StatusSnapshot, journalBytes: Int64?, now: Int64,
                              version: String = EvidenceUploaderVersion.current) -> String {
        var text = Text()
        let counters = snapshot.counters ?? []
        // Every destination the daemon knows, so a series is there (at 0) before its first event.
        var names = Set(counters.map(\.destination))
        names.formUnion(snapshot.items.map { $0.destination ?? "" })
        if let destinations = snapshot.destinations { names.formUnion(destinations.map(\.name)) } else { names.insert("") }
        let destinations = names.sorted()
        let active = snapshot.items.filter { item in activeStates.contains { $0.0 == item.state } }
        func counter(_ name: String) -> StatusSnapshot.Counters {
            counters.first { $0.destination == name } ?? StatusSnapshot.Counters(destination: name)
        }

        text.family("evidence_uploader_info", .gauge, "The running version (always 1).")
        text.sample("evidence_uploader_info", [("version", version)], 1)
        text.family("evidence_uploader_start_time_seconds", .gauge, "When the daemon started, in seconds since the epoch.")
        text.sample("evidence_uploader_start_time_seconds", [], snapshot.startedAt)

        text.family("evidence_uploader_items", .gauge, "Items not yet finished, by state and destination.")
        for destination in destinations {
            for (state, label) in activeStates {
                let count = active.filter { $0.state == state && ($0.destination ?? "") == destination }.count
                text.sample("evidence_uploader_items", [("destination", destination), ("state", label)], count)
            }
        }
        text.family("evidence_uploader_uploads_in_flight", .gauge, "Uploads sending now (hashing, uploading or retrying), by destination.")
        for destination in destinations {
            let count = active.filter { [.hashing, .uploading, .retrying].contains($0.state) && ($0.destination ?? "") == destination }.count
            text.sample("evidence_uploader_uploads_in_flight", [("destination", destination)], count)
        }

        let totals: [(String, String, (StatusSnapshot.Counters) -> Int64)] = [
            ("evidence_uploader_files_delivered_total", "Files delivered to the portal and moved to uploaded/ since the daemon started.", { Int64($0.delivered) }),
            ("evidence_uploader_files_rejected_total", "Files rejected (moved to rejected/ with a reason) since the daemon started.", { Int64($0.rejected) }),
            ("evidence_uploader_files_failed_total", "Uploads that failed and wait for `evidence-uploader retry` since the daemon started.", { Int64($0.failed) }),
            ("evidence_uploader_delivered_bytes_total", "The sizes of the files delivered since the daemon started, in bytes.", { $0.deliveredBytes }),
            ("evidence_uploader_sent_bytes_total", "Bytes sent to the portal since the daemon started (chunks sent again count again).", { $0.sentBytes }),
        ]
        for (name, help, value) in totals {
            text.family(name, .counter, help)
            for destination in destinations {
                text.sample(name, [("destination", destination)], value(counter(destination)))
            }
        }

        text.family("evidence_uploader_retries_total", .counter, "Retries since the daemon started, by destination and cause.")
        for destination in destinations {
            for cause in RetryCause.allCases {
                text.sample("evidence_uploader_retries_total", [("destination", destination), ("cause", cause.rawValue)],
                            counter(destination).retries[cause.rawValue] ?? 0)
            }
        }

        text.family("evidence_uploader_oldest_queued_item_age_seconds", .gauge,
                    "How long the item waiting longest in the queue has waited, in seconds (0 when none waits).")
        let queuedSince = snapshot.items.filter { $0.state == .queued || $0.state == .paused }.map(\.since).min()
        text.sample("evidence_uploader_oldest_queued_item_age_seconds", [], queuedSince.map { max(0, now - $0) } ?? 0)

        text.family("evidence_uploader_destination_paused", .gauge,
                    "1 while a destination's uploads are paused (its portal refused the credentials), else 0.")
        for destination in destinations {
            let paused = snapshot.destinations?.first { $0.name == destination }?.paused != nil
                || (snapshot.destinations == nil && snapshot.paused != nil)
            text.sample("evidence_uploader_destination_paused", [("destination", destination)], paused ? 1 : 0)
        }

        if let journalBytes {
            text.family("evidence_uploader_journal_size_bytes", .gauge, "The size of the journal file, in bytes.")
            text.sample("evidence_uploader_journal_size_bytes", [], journalBytes)
        }
        if let last = snapshot.lastDeliveryAt {
            text.family("evidence_uploader_last_delivery_timestamp_seconds", .gauge,
                        "When the last file was delivered, in seconds since the epoch (absent before the first).")
            text.sample("evidence_uploader_last_delivery_timestamp_seconds", [], last)
        }
        return text.output
    }

    enum MetricType: String { case gauge, counter }

    /// The exposition format's lines: `# HELP`, `# TYPE`, then `name{label="value"} number`.
    struct Text {
        var output = ""

        mutating func family(_ name: String, _ type: MetricType, _ help: String) {
            output += "# HELP \(name) \(MetricsTextfile.escape(help, quote: false))\n# TYPE \(name) \(type.rawValue)\n"
        }

        mutating func sample<N: BinaryInteger>(_ name: String, _ labels: [(String, String)], _ value: N) {
            output += name
            if !labels.isEmpty {
                output += "{" + labels.map { "\($0.0)=\"\(MetricsTextfile.escape($0.1, quote: true))\"" }.joined(separator: ",") + "}"
            }
            output += " \(value)\n"
        }
    }

    /// Backslash and newline (and, in label values, the double quote) escaped, as the format asks.
    static func escape(_ text: String, quote: Bool) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.append(c)
            }
        }
        return out
    }

    /// Writes the file at most every `interval` seconds, removes it when metrics are turned off
    /// or moved (a stale file would be read as current), and says a failure once, not every time.
    final class Writer: Sendable {
        private struct State {
            var path = ""
            var lastWrite = -Double.infinity
            var failure: String? = nil
        }
        private let state = Mutex(State())
        static let interval = 5.0

        /// `render` is only called when the file is due.
        func update(path: String, now: Double, logger: Logger, render: () -> String) {
            let previous = state.withLock { s -> String in
                defer { s.path = path }
                return s.path
            }
            if previous != path, !previous.isEmpty {
                unlink(previous)
                state.withLock { $0.lastWrite = -Double.infinity }
            }
            guard !path.isEmpty else { return }
            let due = state.withLock { s -> Bool in
                guard now - s.lastWrite >= Self.interval else { return false }
                s.lastWrite = now
                return true
            }
            guard due else { return }
            var failure: String? = nil
            do {
                try AtomicFile.write(Array(render().utf8), to: path, mode: 0o644, durability: .volatile)
            } catch {
                failure = "\(error)"
            }
            let before = state.withLock { s -> String? in
                defer { s.failure = failure }
                return s.failure
            }
            if let failure, failure != before {
                logger.warning("cannot write the metrics file; node_exporter shows older numbers until it can", metadata: [
                    "path": "\(path)", "error": "\(failure)",
                ])
            } else if failure == nil, before != nil {
                logger.notice("the metrics file is written again", metadata: ["path": "\(path)"])
            }
        }
    }
}
