/// Which queued item is uploaded when, and what each outcome means: retry later, wait for
/// `retry`, pause everything, look at the file again, stop. One plain state machine serves
/// `run` and `run --once`: events in, actions out, no clock (the driver passes `now`), no I/O.
///
/// Each rule is stated here once: "pause on 401", "a transient failure is tried again in a
/// minute (the daemon) or counted (once)", "a full state folder holds new files back", "a
/// journal that cannot be written stops the process".
package struct Scheduler: Sendable {
    package enum Mode: Sendable, Equatable {
        /// The service: failures are retried, a refused password pauses until it changes.
        case daemon
        /// `run --once`: every item gets one delivery (its own retries inside); the run ends
        /// when nothing is queued or uploading.
        case once
    }

    package struct Settings: Sendable, Equatable {
        package var mode: Mode
        package var parallelUploads: Int
        /// How long a transiently failed item waits before it is tried again (daemon).
        package var retryDelay: Duration
        /// How long a full state folder holds admissions back before trying again.
        package var stateFullBackoff: Duration
        /// Files up to this size (one chunk) are small: besides the large uploads' slots they may
        /// use `smallFileSlots` more, so they never wait behind a large upload. 0 = no small lane.
        package var smallFileLimit: Int64
        package var smallFileSlots: Int
        package init(mode: Mode, parallelUploads: Int, retryDelay: Duration = .seconds(60),
                    stateFullBackoff: Duration = .seconds(30), smallFileLimit: Int64 = 0, smallFileSlots: Int = 0) {
            self.mode = mode
            self.smallFileLimit = smallFileLimit
            self.smallFileSlots = max(0, smallFileSlots)
            self.parallelUploads = max(1, parallelUploads)
            self.retryDelay = retryDelay
            self.stateFullBackoff = stateFullBackoff
        }
    }

    /// A queued item, the destination (awarding body) it goes to ("" without destinations) and
    /// when its unit is due (seconds since the epoch), if it has a deadline.
    package struct Entry: Sendable, Equatable {
        package var id: UInt64
        package var destination: String
        package var deadline: Int64?
        /// Its size, for the small-file lane; nil = treated as large.
        package var size: Int64?
        package init(_ id: UInt64, _ destination: String = "", deadline: Int64? = nil, size: Int64? = nil) {
            self.id = id
            self.destination = destination
            self.deadline = deadline
            self.size = size
        }
    }

    package enum Event: Sendable, Equatable {
        /// Unfinished items found in the journal at start, oldest first.
        case recovered([Entry])
        /// A settled file was offered to the queue (for `destination`, due at `deadline`).
        case admitted(path: String, AdmissionResult, destination: String = "", deadline: Int64? = nil, size: Int64? = nil)
        /// Time passed: start what may start.
        case tick
        case finished(id: UInt64, DeliveryOutcome)
        /// A started item turned out to be finished already (the journal moved on): forget it.
        case withdrawn(UInt64)
        /// `retry ID`; `known` is what the journal says of it.
        case retryRequested(id: UInt64, known: RetryTarget)
        /// `retry --failed`.
        case retryFailedRequested
        /// The password changed or the config was reloaded: paused uploads go on (of one
        /// destination, or of all when nil).
        case credentialsChanged(destination: String? = nil)
        /// The process is stopping: nothing new starts.
        case stop
    }

    /// What the journal says of an item someone asked to retry.
    package enum RetryTarget: Sendable, Equatable {
        case waiting(path: String)
        case finished(path: String)
        case unknown
    }

    package enum Action: Sendable, Equatable {
        /// Start delivering this item on a transfer thread.
        case start(UInt64)
        /// Show the item in the status (and log the change where it matters).
        case show(UInt64, ItemState)
        /// Every upload to this destination pauses (said once): its portal refused the centre's credentials.
        case pause(destination: String, reason: String)
        /// The pause of this destination is over.
        case resume(destination: String)
        /// The file changed or was replaced during its upload: look at it again as a new arrival.
        case lookAgain(UInt64)
        /// A settled file that could not be taken now: watch it again after a settle time.
        case admitLater(path: String, reason: String, firstTime: Bool)
        /// The state folder is full: new files wait in the drop folder (said once).
        case holdAdmissions(reason: String)
        /// The state folder has room again.
        case resumeAdmissions
        /// The journal can no longer be trusted: stop the process (the service manager restarts it).
        case stopProcess(reason: String)
        /// What a `retry` request came to, for the one who asked.
        case retryAnswered(RetryAnswer)
        /// `--once`: nothing queued, nothing uploading.
        case finishedAll
    }

    package enum ItemState: Sendable, Equatable {
        case queued
        case failed(String)
        case retrying(String)
        case paused
    }

    package enum RetryAnswer: Sendable, Equatable {
        case queued([UInt64])
        case alreadyQueued(UInt64)
        case alreadyDelivered(UInt64)
        case notFound(UInt64)
        case nothingFailed
    }

    /// Counts for `run --once`'s exit status and summary line.
    package struct Tally: Sendable, Equatable {
        package var delivered = 0
        package var rejected = 0
        package var failed = 0
        package var stopped = 0
        package init() {}
    }

    package let settings: Settings
    package private(set) var pending: [UInt64] = []
    package private(set) var active: Set<UInt64> = []
    /// Items that failed for good, with the reason: they wait for `retry`.
    package private(set) var failed: [UInt64: String] = [:]
    /// Destinations whose uploads are paused, with why.
    package private(set) var paused: [String: String] = [:]
    /// While the state folder is full: no admissions before this time.
    package private(set) var admissionsHeldUntil: Duration?
    package private(set) var tally = Tally()
    package private(set) var stopping = false
    private var notBefore: [UInt64: Duration] = [:]
    private var destinationOf: [UInt64: String] = [:]
    private var deadlineOf: [UInt64: Int64] = [:]
    private var sizeOf: [UInt64: Int64] = [:]
    private var deferred: Set<String> = []
    /// `--once`: `.finishedAll` was said.
    private var finishedAllSaid = false

    package init(settings: Settings) {
        self.settings = settings
    }

    /// Whether a settled file may be offered to the queue now.
    package func admitsNewFiles(now: Duration) -> Bool {
        guard let until = admissionsHeldUntil else { return !stopping }
        // `--once` takes nothing more after the state folder was full: it cannot wait for room.
        return settings.mode == .daemon && now >= until && !stopping
    }

    package mutating func handle(_ event: Event, now: Duration) -> [Action] {
        switch event {
        case let .recovered(entries):
            for entry in entries { enqueue(entry.id, entry.destination, entry.deadline, size: entry.size) }
            return []

        case let .admitted(path, result, destination, deadline, size):
            return admitted(path, result, destination: destination, deadline: deadline, size: size, now: now)

        case .tick:
            return startTransfers(now: now)

        case let .finished(id, outcome):
            active.remove(id)
            var actions = finished(id, outcome, now: now)
            actions += startTransfers(now: now)
            return actions

        case let .withdrawn(id):
            active.remove(id)
            pending.removeAll { $0 == id }
            return startTransfers(now: now)

        case let .retryRequested(id, known):
            switch known {
            case .unknown:
                return [.retryAnswered(.notFound(id))]
            case .finished:
                return [.retryAnswered(.alreadyDelivered(id))]
            case .waiting:
                if active.contains(id) { return [.retryAnswered(.alreadyQueued(id))] }
                requeue(id)
                return [.show(id, .queued), .retryAnswered(.queued([id]))]
            }

        case .retryFailedRequested:
            let ids = failed.keys.sorted()
            guard !ids.isEmpty else { return [.retryAnswered(.nothingFailed)] }
            for id in ids { requeue(id) }
            return ids.map { .show($0, .queued) } + [.retryAnswered(.queued(ids))]

        case let .credentialsChanged(destination):
            let resumed = paused.keys.filter { destination == nil || $0 == destination }.sorted()
            for name in resumed { paused[name] = nil }
            return resumed.map { .resume(destination: $0) }

        case .stop:
            stopping = true
            return []
        }
    }

    // MARK: - Admission

    private mutating func admitted(_ path: String, _ result: AdmissionResult, destination: String, deadline: Int64?,
                                   size: Int64?, now: Duration) -> [Action] {
        var actions: [Action] = []
        switch result {
        case let .queued(id), let .alreadyQueued(id):
            deferred.remove(path)
            enqueue(id, destination, deadline, size: size)
            if admissionsHeldUntil != nil {
                admissionsHeldUntil = nil
                actions.append(.resumeAdmissions)
            }
        case .rejected:
            deferred.remove(path)
            if settings.mode == .once { tally.rejected += 1 }
        case let .deferred(reason):
            if settings.mode == .once { tally.failed += 1 }
            let firstTime = deferred.insert(path).inserted
            actions.append(.admitLater(path: path, reason: reason, firstTime: firstTime))
        case let .stateFull(reason):
            if settings.mode == .once { tally.failed += 1 }
            let firstTime = admissionsHeldUntil == nil
            admissionsHeldUntil = now + settings.stateFullBackoff
            if firstTime { actions.append(.holdAdmissions(reason: reason)) }
            actions.append(.admitLater(path: path, reason: reason, firstTime: false))
        case let .journalFailure(reason):
            stopping = true
            actions.append(.stopProcess(reason: reason))
        }
        return actions
    }

    // MARK: - Transfers

    /// Fills free transfer slots. Fair between destinations: the next slot goes to the waiting
    /// item (oldest first) of the destination with the fewest uploads running, so one body's
    /// 300 files never starve another's single file.
    private mutating func startTransfers(now: Duration) -> [Action] {
        var actions: [Action] = []
        while !stopping, let index = nextStartable(now: now) {
            let id = pending.remove(at: index)
            notBefore[id] = nil
            active.insert(id)
            actions.append(.start(id))
        }
        let startable = pending.contains { paused[destinationOf[$0] ?? ""] == nil }
        if settings.mode == .once && active.isEmpty && (!startable || stopping) && !finishedAllSaid {
            // Whatever is still queued now (stopped, or its destination paused) is not tried in this run.
            tally.stopped += pending.count
            finishedAllSaid = true
            actions.append(.finishedAll)
        }
        return actions
    }

    private func isSmall(_ id: UInt64) -> Bool {
        settings.smallFileLimit > 0 && (sizeOf[id] ?? .max) <= settings.smallFileLimit
    }

    /// Large uploads get `parallelUploads` slots; small files may take the large slots left
    /// idle plus `smallFileSlots` of their own.
    private func hasRoom(small: Bool) -> Bool {
        let runningSmall = active.filter(isSmall).count
        let runningLarge = active.count - runningSmall
        if small { return runningSmall < settings.smallFileSlots + max(0, settings.parallelUploads - runningLarge) }
        return runningLarge < settings.parallelUploads && active.count < settings.parallelUploads + settings.smallFileSlots
    }

    private func nextStartable(now: Duration) -> Int? {
        var running: [String: Int] = [:]
        for id in active { running[destinationOf[id] ?? "", default: 0] += 1 }
        let roomSmall = hasRoom(small: true), roomLarge = hasRoom(small: false)
        guard roomSmall || roomLarge else { return nil }
        var best: (index: Int, running: Int)? = nil
        for (index, id) in pending.enumerated() {
            if let at = notBefore[id], at > now { continue }
            if !(isSmall(id) ? roomSmall : roomLarge) { continue }
            let destination = destinationOf[id] ?? ""
            if paused[destination] != nil { continue }
            let load = running[destination] ?? 0
            if best == nil || load < best!.running { best = (index, load) }
            if load == 0 { break }
        }
        return best?.index
    }

    /// What an outcome means: the one place that interprets them.
    private mutating func finished(_ id: UInt64, _ outcome: DeliveryOutcome, now: Duration) -> [Action] {
        switch outcome {
        case .delivered, .duplicate:
            forget(id)
            tally.delivered += 1
            return []
        case .rejected:
            forget(id)
            tally.rejected += 1
            return []
        case .superseded:
            forget(id)
            // Changed during its upload: in `--once` it was not delivered this time.
            return [.lookAgain(id)]
        case let .failed(reason, permanent):
            if permanent || settings.mode == .once {
                failed[id] = reason
                tally.failed += 1
                return [.show(id, .failed(reason))]
            }
            notBefore[id] = now + settings.retryDelay
            insertPending(id)
            return [.show(id, .retrying("\(reason); trying again in \(Self.text(settings.retryDelay))"))]
        case let .unauthorized(reason):
            // Only this destination's portal refused: the others go on.
            let destination = destinationOf[id] ?? ""
            var actions: [Action] = []
            if paused[destination] == nil {
                paused[destination] = reason
                actions.append(.pause(destination: destination, reason: reason))
            }
            if settings.mode == .once {
                tally.failed += 1
                return actions
            }
            pending.insert(id, at: 0)
            actions.append(.show(id, .paused))
            return actions
        case .stopped:
            if stopping || settings.mode == .once {
                tally.stopped += 1
            } else {
                pending.insert(id, at: 0)
            }
            return []
        case let .journalFailure(reason):
            tally.failed += 1
            stopping = true
            return [.stopProcess(reason: reason)]
        }
    }

    /// `--once`: a superseded item whose file is still in the drop folder was not delivered.
    package mutating func countNotDelivered() {
        tally.failed += 1
    }

    // MARK: - Queue

    private mutating func enqueue(_ id: UInt64, _ destination: String, _ deadline: Int64?, size: Int64? = nil) {
        destinationOf[id] = destination
        deadlineOf[id] = deadline
        if let size { sizeOf[id] = size }
        if !pending.contains(id) && !active.contains(id) { insertPending(id) }
    }

    private mutating func requeue(_ id: UInt64) {
        failed[id] = nil
        notBefore[id] = nil
        if !pending.contains(id) && !active.contains(id) { insertPending(id) }
    }

    /// Earliest deadline first; without one, after every item that has one; then in arrival order.
    private mutating func insertPending(_ id: UInt64) {
        let due = deadlineOf[id] ?? .max
        let index = pending.firstIndex { (deadlineOf[$0] ?? .max) > due } ?? pending.endIndex
        pending.insert(id, at: index)
    }

    /// When an item's unit is due, if it has a deadline.
    package func deadline(of id: UInt64) -> Int64? { deadlineOf[id] }

    private mutating func forget(_ id: UInt64) {
        failed[id] = nil
        notBefore[id] = nil
        destinationOf[id] = nil
        deadlineOf[id] = nil
        sizeOf[id] = nil
    }

    /// The destination an item was queued for.
    package func destination(of id: UInt64) -> String? { destinationOf[id] }

    static func text(_ duration: Duration) -> String {
        "\(duration.components.seconds) s"
    }
}
