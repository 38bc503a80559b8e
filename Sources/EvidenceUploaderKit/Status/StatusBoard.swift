import FoundationEssentials
import Logging
import Synchronization
import UploaderCore
import UploaderCurl
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's live view of every item, shared by the loop and the transfer threads, and
/// written to `<state>/status.json` by atomic replace so `status` can read it at any time.
public final class StatusBoard: Sendable {
    /// One unfinished item as the board keeps it: its path is the key, its destination an index
    /// into `names`, and what few items have (a rate, a forecast) boxed. 96 bytes where a
    /// `StatusSnapshot.Item` is 208: 10,000 queued items are on the board for the daemon's life.
    private struct Entry {
        /// Set only while it uploads, or with a deadline: nil for most items.
        final class Rare: Sendable {
            struct Fields: Equatable, Sendable {
                var bytesPerSecond: Double? = nil
                var etaSeconds: Double? = nil
                var deadline: Int64? = nil
                var estimatedDelivery: Int64? = nil
                var risk: String? = nil
            }
            let fields: Fields
            init(_ fields: Fields) { self.fields = fields }
            static func boxed(_ fields: Fields) -> Rare? { fields == Fields() ? nil : Rare(fields) }
        }

        var id: UInt64
        var size: Int64
        var done: Int64
        var since: Int64
        var candidate: String?
        var unit: String?
        var message: String?
        var rare: Rare?
        /// Index into `Board.names`; -1: none.
        var destination: Int32
        var state: StatusSnapshot.Item.State
        var hasID: Bool

        init(id: UInt64?, state: StatusSnapshot.Item.State, size: Int64, since: Int64) {
            self.id = id ?? 0
            hasID = id != nil
            self.state = state
            self.size = size
            done = 0
            self.since = since
            destination = -1
        }

        var rareFields: Rare.Fields { rare?.fields ?? Rare.Fields() }

        mutating func updateRare(_ change: (inout Rare.Fields) -> Void) {
            var fields = rareFields
            change(&fields)
            if fields != rareFields { rare = Rare.boxed(fields) }
        }

        var bytesPerSecond: Double? { rare?.fields.bytesPerSecond }

        func item(path: String, names: [String]) -> StatusSnapshot.Item {
            let r = rareFields
            return StatusSnapshot.Item(id: hasID ? id : nil, path: path, destination: destination >= 0 ? names[Int(destination)] : nil,
                                       candidate: candidate, unit: unit, state: state, size: size, done: done,
                                       bytesPerSecond: r.bytesPerSecond, etaSeconds: r.etaSeconds, message: message,
                                       since: since, deadline: r.deadline, estimatedDelivery: r.estimatedDelivery, risk: r.risk)
        }
    }

    private struct Board {
        var items: [String: Entry] = [:]
        /// Every destination name an entry has pointed at (few: the awarding bodies).
        var names: [String] = []
        var finished: [StatusSnapshot.Item] = []
        var counts = StatusSnapshot.Totals()
        var paused: String? = nil
        var rateLimit: Int64? = nil
        var requestLimits: [String: StatusSnapshot.RequestLimit] = [:]
        var destinations: [StatusSnapshot.Destination] = []
        var problem: String? = nil
        var dirty = true
        /// Counts every change: what the status page compares instead of a copy of the board.
        var version: UInt64 = 0
        /// The last write failure, said once (and its end), not every second.
        var writeFailure: String? = nil
        var rates: [String: (bytes: Int64, time: Double, rate: Double)] = [:]
        /// For the metrics file: counters by destination since the start, the last delivery.
        var counters: [String: StatusSnapshot.Counters] = [:]
        var lastDeliveryAt: Int64? = nil

        mutating func changed() {
            dirty = true
            version &+= 1
        }

        mutating func nameIndex(_ name: String?) -> Int32 {
            guard let name else { return -1 }
            if let index = names.firstIndex(of: name) { return Int32(index) }
            names.append(name)
            return Int32(names.count - 1)
        }

        func name(_ index: Int32) -> String? { index >= 0 ? names[Int(index)] : nil }

        mutating func count(_ destination: String?, _ change: (inout StatusSnapshot.Counters) -> Void) {
            let name = destination ?? ""
            change(&counters[name, default: StatusSnapshot.Counters(destination: name)])
        }
    }

    private let board = Mutex(Board())
    /// The `[metrics] textfile` writer (`Daemon+Metrics.swift`): when it last wrote, what failed.
    let metricsTextfile = MetricsTextfile.Writer()
    /// The board's `version` the status page last showed (`Daemon+StatusPage.swift`); `.max`: none yet.
    let pageVersion = Atomic<UInt64>(.max)
    private let path: String
    private let startedAt = WallClock.now()
    static let keptFinished = 100

    init(stateDirectory: String) {
        path = stateDirectory + "/status.json"
    }

    /// An item's state. `retryCause`, with `.retrying`: why, counted for the metrics file.
    func set(_ path: String, state: StatusSnapshot.Item.State, size: Int64, labels: EvidenceLabels? = nil,
             id: UInt64? = nil, message: String? = nil, retryCause: RetryCause = .other) {
        board.withLock { b in
            var item = b.items[path] ?? Entry(id: id, state: state, size: size, since: WallClock.now())
            let destination = b.destinations.first { path.hasPrefix($0.folder + "/") }?.name
            item.destination = b.nameIndex(destination)
            if item.state != state { item.since = WallClock.now() }
            item.state = state
            item.size = size
            item.message = message
            if let id { item.id = id; item.hasID = true }
            if let labels {
                item.candidate = labels.candidate
                item.unit = labels.unit
            }
            if state != .uploading { item.updateRare { $0.bytesPerSecond = nil; $0.etaSeconds = nil } }
            if state == .retrying {
                b.count(destination) { $0.retries[retryCause.rawValue, default: 0] += 1 }
            }
            switch state {
            case .delivered, .rejected, .failed:
                b.items[path] = nil
                b.rates[path] = nil
                b.finished.append(item.item(path: path, names: b.names))
                if b.finished.count > Self.keptFinished { b.finished.removeFirst(b.finished.count - Self.keptFinished) }
                switch state {
                case .delivered: b.counts.delivered += 1
                case .rejected: b.counts.rejected += 1
                default: b.counts.failed += 1
                }
                switch state {
                case .delivered:
                    b.lastDeliveryAt = WallClock.now()
                    b.count(destination) { $0.delivered += 1; $0.deliveredBytes += size }
                case .rejected: b.count(destination) { $0.rejected += 1 }
                default: b.count(destination) { $0.failed += 1 }
                }
            default:
                b.items[path] = item
            }
            b.changed()
        }
    }

    /// A queued item's deadline and forecast (nil risk = on time).
    func setForecast(_ path: String, deadline: Int64?, estimatedDelivery: Int64?, risk: String?) {
        board.withLock { b in
            guard var item = b.items[path] else { return }
            let r = item.rareFields
            guard r.deadline != deadline || r.estimatedDelivery != estimatedDelivery || r.risk != risk else { return }
            item.updateRare {
                $0.deadline = deadline
                $0.estimatedDelivery = estimatedDelivery
                $0.risk = risk
            }
            b.items[path] = item
            b.changed()
        }
    }

    /// Progress of an upload: bytes the portal holds or that are on their way.
    func progress(_ path: String, done: Int64) {
        board.withLock { b in
            guard var item = b.items[path] else { return }
            let now = WallClock.monotonic()
            // Bytes sent: what the upload moved on since its last report. Its first report on the
            // board is only the baseline: where a resumed upload starts, not bytes sent now.
            if b.rates[path] != nil, done > item.done {
                b.count(b.name(item.destination)) { $0.sentBytes += done - item.done }
            }
            var entry = b.rates[path] ?? (done, now, 0)
            let dt = now - entry.time
            if dt >= 0.5 {
                let instant = Double(done - entry.bytes) / dt
                entry.rate = entry.rate == 0 ? instant : entry.rate * 0.7 + instant * 0.3
                entry.bytes = done
                entry.time = now
            }
            b.rates[path] = entry
            if item.state != .uploading {
                item.state = .uploading
                item.message = nil
                item.since = WallClock.now()
            }
            item.done = done
            let size = item.size
            item.updateRare {
                $0.bytesPerSecond = entry.rate > 0 ? entry.rate : nil
                $0.etaSeconds = entry.rate > 0 ? Double(size - done) / entry.rate : nil
            }
            b.items[path] = item
            b.changed()
        }
    }

    func forget(_ path: String) {
        board.withLock { b in
            b.items[path] = nil
            b.rates[path] = nil
            b.changed()
        }
    }

    func setPaused(_ reason: String?) {
        board.withLock { b in
            b.paused = reason
            b.changed()
        }
    }

    func setRateLimit(_ bytesPerSecond: Int64?) {
        board.withLock { b in
            b.rateLimit = bytesPerSecond
            b.changed()
        }
    }

    /// The awarding bodies and their folders, so items are shown under theirs; none without destinations.
    func setDestinations(_ destinations: [(name: String, folder: String)]) {
        board.withLock { b in
            b.destinations = destinations.map { new in
                StatusSnapshot.Destination(name: new.name, folder: new.folder,
                                           paused: b.destinations.first { $0.name == new.name }?.paused)
            }
            b.changed()
        }
    }

    /// What stops new files from being taken (nil = nothing).
    func setProblem(_ problem: String?) {
        board.withLock { b in
            guard b.problem != problem else { return }
            b.problem = problem
            b.changed()
        }
    }

    /// A destination's pause (nil = active again).
    func setPaused(destination: String, _ reason: String?) {
        board.withLock { b in
            guard let index = b.destinations.firstIndex(where: { $0.name == destination }) else { return }
            b.destinations[index].paused = reason
            b.changed()
        }
    }

    func setRequestLimit(portal: String, bytes: Int64, reason: String) {
        board.withLock { b in
            b.requestLimits[portal] = StatusSnapshot.RequestLimit(portal: portal, maxRequestBytes: bytes, reason: reason)
            b.changed()
        }
    }

    /// Goes up with every change to the board (not with time passing): equal numbers, same board.
    var version: UInt64 { board.withLock { $0.version } }

    func snapshot() -> StatusSnapshot {
        board.withLock { b in snapshot(b, items: true) }
    }

    /// The board as a snapshot; `items: false`: with the totals counted but no items.
    private func snapshot(_ b: Board, items withItems: Bool) -> StatusSnapshot {
        var totals = b.counts
        // One pass and one array: with 10,000 items queued this runs every second.
        var items: [StatusSnapshot.Item] = []
        for item in b.items.values {
            switch item.state {
            case .arriving: totals.arriving += 1
            case .queued, .paused: totals.queued += 1
            case .uploading, .hashing, .retrying: totals.uploading += 1
            default: break
            }
            if let rate = item.bytesPerSecond { totals.bytesPerSecond += rate }
        }
        if withItems {
            // The indices are sorted, not the items (no scratch copy of 10,000 of them).
            items.reserveCapacity(b.items.count + b.finished.count)
            for index in Self.order(b.items) {
                let (path, entry) = b.items[index]
                items.append(entry.item(path: path, names: b.names))
            }
            items.append(contentsOf: b.finished.reversed())
        }
        return StatusSnapshot(pid: getpid(), startedAt: startedAt, updatedAt: WallClock.now(), paused: b.paused,
                              rateLimitBytesPerSecond: b.rateLimit, items: items, totals: totals,
                              requestLimits: b.requestLimits.isEmpty ? nil : b.requestLimits.values.sorted { $0.portal < $1.portal },
                              destinations: b.destinations.isEmpty ? nil : b.destinations, problem: b.problem,
                              counters: b.counters.values.sorted { $0.destination < $1.destination },
                              lastDeliveryAt: b.lastDeliveryAt)
    }

    /// `status.json` of the board as it is: the text of `fileJSON(snapshot())`, written from the
    /// board's own items (in the snapshot's order, by their dictionary index) so that 10,000 items
    /// are not copied into a snapshot first.
    func fileJSON() -> [UInt8] {
        var all: [UInt8] = []
        writeFileJSON { all += $0 }
        return all
    }

    /// The same text, handed to `sink` in pieces of about 64 KiB, so that the status file of
    /// 10,000 items never sits in memory whole.
    func writeFileJSON(_ sink: ([UInt8]) -> Void) {
        withoutActuallyEscaping(sink) { sink in writeFileJSON(escaping: sink) }
    }

    private func writeFileJSON(escaping sink: @escaping ([UInt8]) -> Void) {
        board.withLock { b in
            let head = snapshot(b, items: false)
            let items = b.items, finished = b.finished, names = b.names
            let order = Self.order(items)
            var writer = JSONWriter(capacity: 80 << 10)
            head.writeJSON(to: &writer, items: { w in
                for index in order {
                    let (path, entry) = items[index]
                    entry.item(path: path, names: names).writeJSON(to: &w)
                    w.drain(into: sink)
                }
                for item in finished.reversed() { item.writeJSON(to: &w) }
            })
            sink(writer.bytes)
        }
    }

    /// The board's items in the snapshot's order (by the time they entered their state, then path).
    private static func order(_ items: [String: Entry]) -> [Dictionary<String, Entry>.Index] {
        items.indices.sorted { x, y in
            let a = items[x], b = items[y]
            return (a.value.since, a.key) < (b.value.since, b.key)
        }
    }

    /// Writes status.json if anything changed since the last write. A failed write (a full
    /// state folder) is logged once, kept dirty and tried again at the next flush.
    func flush(logger: Logger) {
        let changed = board.withLock { b -> Bool in
            defer { b.dirty = false }
            return b.dirty
        }
        guard changed else { return }
        var failure: String? = nil
        do {
            try AtomicFile.write(to: path, mode: 0o644, durability: .volatile) { (file: AtomicFile.Writer) throws(SystemCallError) in
                var failed: SystemCallError? = nil
                writeFileJSON { piece in
                    guard failed == nil else { return }
                    do throws(SystemCallError) {
                        try file.write(piece)
                    } catch {
                        failed = error
                    }
                }
                if let failed { throw failed }
            }
        } catch {
            failure = "\(error)"
        }
        let previous = board.withLock { b -> String? in
            defer { b.writeFailure = failure }
            if failure != nil { b.dirty = true }
            return b.writeFailure
        }
        if let failure, failure != previous {
            logger.warning("cannot write the status file; `status` shows older news until it can", metadata: [
                "path": "\(path)", "error": "\(failure)",
            ])
        } else if failure == nil, previous != nil {
            logger.notice("the status file is written again", metadata: ["path": "\(path)"])
        }
    }

    /// `status.json`'s text: what `JSONEncoder` with `.sortedKeys` writes, without its tree of
    /// values (see `StatusSnapshot.writeJSON`).
    static func fileJSON(_ snapshot: StatusSnapshot) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024 + 200 * snapshot.items.count)
        snapshot.writeJSON(to: &writer)
        return writer.bytes
    }

    public static func read(stateDirectory: String) throws(EvidenceError) -> StatusSnapshot {
        let path = stateDirectory + "/status.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvidenceError(.system, "no status at \(path.debugQuoted): is the daemon running, and is this its config?")
        }
        do {
            return try JSONDecoder().decode(StatusSnapshot.self, from: data)
        } catch {
            throw EvidenceError(.system, "the status file \(path.debugQuoted) cannot be read: \(error)")
        }
    }
}
