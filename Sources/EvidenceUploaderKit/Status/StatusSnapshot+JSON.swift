/// The snapshot as JSON, written by hand with keys in sorted order: the text `JSONEncoder`
/// (`.sortedKeys`) would write for `status.json`, streamed so that 10,000 items cost their text
/// and no tree of values. `StatusBoard.read` decodes it with the synthesized `Decodable`.
extension StatusSnapshot {
    /// How an item the daemon was working on is shown by `status --json` once it has stopped.
    enum JSONView {
        /// `status.json` as the daemon writes it.
        case file
        /// `status --json`: the file plus `running`; see `StatusRendering.json`.
        case command(running: Bool)
    }

    /// `items`: writes the items' elements instead of `self.items` (`StatusBoard` writes its own
    /// without copying them into a snapshot first); only for `.file`.
    func writeJSON(to w: inout JSONWriter, view: JSONView = .file, items writeItems: ((inout JSONWriter) -> Void)? = nil) {
        let stopped: Bool
        switch view {
        case .file: stopped = false
        case let .command(running): stopped = !running
        }
        var waiting = 0
        w.object { w in
            if let counters {
                w.key("counters")
                w.array { w in for counter in counters { counter.writeJSON(to: &w) } }
            }
            if let destinations {
                w.key("destinations")
                w.array { w in for destination in destinations { destination.writeJSON(to: &w) } }
            }
            w.key("items")
            w.array { w in
                if let writeItems { writeItems(&w); return }
                for item in items {
                    let stale = StatusRendering.isStale(item.state, running: !stopped)
                    if stale { waiting += 1 }
                    item.writeJSON(to: &w, stale: stale)
                }
            }
            w.member("lastDeliveryAt", lastDeliveryAt)
            w.member("paused", paused)
            w.member("pid", pid)
            w.member("problem", problem)
            w.member("rateLimitBytesPerSecond", rateLimitBytesPerSecond)
            if let requestLimits {
                w.key("requestLimits")
                w.array { w in for limit in requestLimits { limit.writeJSON(to: &w) } }
            }
            if case let .command(running) = view {
                w.key("running")
                w.bool(running)
            }
            w.member("startedAt", startedAt)
            w.key("totals")
            totals.writeJSON(to: &w, waiting: stopped ? waiting : nil)
            w.member("updatedAt", updatedAt)
        }
    }
}

extension StatusSnapshot.Item {
    /// `stale`: shown as waiting for the daemon, its state in `stateWhenStopped`, without rate or ETA.
    func writeJSON(to w: inout JSONWriter, stale: Bool = false) {
        w.object { w in
            if !stale { w.member("bytesPerSecond", bytesPerSecond) }
            w.member("candidate", candidate)
            w.member("deadline", deadline)
            w.member("destination", destination)
            w.member("done", done)
            w.member("estimatedDelivery", estimatedDelivery)
            if !stale { w.member("etaSeconds", etaSeconds) }
            w.member("id", id)
            w.member("message", message)
            w.member("path", path)
            w.member("risk", risk)
            w.member("since", since)
            w.member("size", size)
            w.member("state", stale ? StatusRendering.waitingForDaemon : state.rawValue)
            if stale { w.member("stateWhenStopped", state.rawValue) }
            w.member("unit", unit)
        }
    }
}

extension StatusSnapshot.Totals {
    /// `waiting`: the count of items waiting for a stopped daemon, which also zeroes what only a
    /// running daemon does (queued, uploading, the rate).
    func writeJSON(to w: inout JSONWriter, waiting: Int?) {
        w.object { w in
            w.member("arriving", arriving)
            w.key("bytesPerSecond")
            if waiting != nil { w.int(0) } else { w.double(bytesPerSecond.isFinite ? bytesPerSecond : 0) }
            w.member("delivered", delivered)
            w.member("failed", failed)
            w.member("queued", waiting != nil ? 0 : queued)
            w.member("rejected", rejected)
            w.member("uploading", waiting != nil ? 0 : uploading)
            w.member("waiting", waiting)
        }
    }
}

extension StatusSnapshot.RequestLimit {
    func writeJSON(to w: inout JSONWriter) {
        w.object { w in
            w.member("maxRequestBytes", maxRequestBytes)
            w.member("portal", portal)
            w.member("reason", reason)
        }
    }
}

extension StatusSnapshot.Destination {
    func writeJSON(to w: inout JSONWriter) {
        w.object { w in
            w.member("folder", folder)
            w.member("name", name)
            w.member("paused", paused)
        }
    }
}

extension StatusSnapshot.Counters {
    func writeJSON(to w: inout JSONWriter) {
        w.object { w in
            w.member("delivered", delivered)
            w.member("deliveredBytes", deliveredBytes)
            w.member("destination", destination)
            w.member("failed", failed)
            w.member("rejected", rejected)
            w.key("retries")
            w.object { w in
                for cause in retries.keys.sorted() { w.member(cause, retries[cause]) }
            }
            w.member("sentBytes", sentBytes)
        }
    }
}
