import Testing
import UploaderCore

/// The scheduler as tables: each step an event at a time, and the exact actions it must produce.
/// No process, no clock, no sleep.
private typealias Step = (event: Scheduler.Event, at: Duration, actions: [Scheduler.Action])

private func run(_ scheduler: inout Scheduler, _ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
    for (index, step) in steps.enumerated() {
        let actions = scheduler.handle(step.event, now: step.at)
        #expect(actions == step.actions, "step \(index + 1): \(step.event)", sourceLocation: sourceLocation)
    }
}

private func daemon(parallel: Int = 2) -> Scheduler {
    Scheduler(settings: .init(mode: .daemon, parallelUploads: parallel, retryDelay: .seconds(60), stateFullBackoff: .seconds(30)))
}

private func once(parallel: Int = 2) -> Scheduler {
    Scheduler(settings: .init(mode: .once, parallelUploads: parallel))
}

@Suite("Scheduler")
struct SchedulerTests {
    @Test("recovered items go first, oldest first, parallel_uploads at a time")
    func recoveredFirst() {
        var s = daemon()
        run(&s, [
            (.recovered([.init(3), .init(1)]), .zero, []),
            (.admitted(path: "a", .queued(7)), .zero, []),
            (.tick, .zero, [.start(3), .start(1)]),
            (.tick, .seconds(1), []),
            (.finished(id: 3, .delivered("uploaded/x")), .seconds(2), [.start(7)]),
        ])
        #expect(s.pending.isEmpty && s.active == [1, 7])
    }

    @Test("an item already queued is not queued twice")
    func alreadyQueued() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.admitted(path: "a", .queued(1)), .zero, []),
            (.admitted(path: "a", .alreadyQueued(1)), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.admitted(path: "a", .alreadyQueued(1)), .zero, []),
        ])
        #expect(s.pending.isEmpty)
    }

    @Test("daemon: a transient failure is tried again after the retry delay, not before")
    func transientRetry() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .failed("the portal answered 503", permanent: false)), .seconds(10),
             [.show(1, .retrying("the portal answered 503; trying again in 60 s"))]),
            (.tick, .seconds(69), []),
            (.tick, .seconds(70), [.start(1)]),
        ])
    }

    @Test("daemon: a waiting item does not hold back the next one")
    func waitingDoesNotBlock() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .failed("reset", permanent: false)), .seconds(1),
             [.show(1, .retrying("reset; trying again in 60 s")), .start(2)]),
        ])
    }

    @Test("daemon: a permanent failure waits for `retry`; retry --failed queues it again")
    func permanentWaitsForRetry() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .failed("refused (400)", permanent: true)), .seconds(1), [.show(1, .failed("refused (400)"))]),
            (.tick, .seconds(1000), []),
            (.retryFailedRequested, .seconds(1001), [.show(1, .queued), .retryAnswered(.queued([1]))]),
            (.tick, .seconds(1001), [.start(1)]),
            (.retryFailedRequested, .seconds(1002), [.retryAnswered(.nothingFailed)]),
        ])
        #expect(s.failed.isEmpty)
    }

    @Test("retry ID says what happened: queued, being uploaded, delivered, unknown")
    func retryAnswers() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.retryRequested(id: 1, known: .waiting(path: "a")), .zero, [.retryAnswered(.alreadyQueued(1))]),
            (.retryRequested(id: 2, known: .waiting(path: "b")), .zero, [.show(2, .queued), .retryAnswered(.queued([2]))]),
            (.retryRequested(id: 5, known: .finished(path: "c")), .zero, [.retryAnswered(.alreadyDelivered(5))]),
            (.retryRequested(id: 99, known: .unknown), .zero, [.retryAnswered(.notFound(99))]),
        ])
        #expect(s.pending == [2])
    }

    @Test("retry of an item waiting out its retry delay starts it now")
    func retryCutsTheWait() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .failed("503", permanent: false)), .zero, [.show(1, .retrying("503; trying again in 60 s"))]),
            (.retryRequested(id: 1, known: .waiting(path: "a")), .seconds(1), [.show(1, .queued), .retryAnswered(.queued([1]))]),
            (.tick, .seconds(1), [.start(1)]),
        ])
    }

    @Test("daemon: a refused password pauses everything once; the item goes first when it resumes")
    func pauseOn401() {
        var s = daemon(parallel: 2)
        run(&s, [
            (.recovered([.init(1), .init(2), .init(3)]), .zero, []),
            (.tick, .zero, [.start(1), .start(2)]),
            (.finished(id: 1, .unauthorized("401")), .seconds(1), [.pause(destination: "", reason: "401"), .show(1, .paused)]),
            (.finished(id: 2, .unauthorized("401")), .seconds(1), [.show(2, .paused)]),
            (.tick, .seconds(100), []),
            (.credentialsChanged(), .seconds(101), [.resume(destination: "")]),
            (.tick, .seconds(101), [.start(2), .start(1)]),
            (.credentialsChanged(), .seconds(102), []),
        ])
        #expect(s.paused.isEmpty && s.pending == [3])
    }

    @Test("once: a refused password stops the run; what was not tried counts as stopped")
    func onceUnauthorized() {
        var s = once(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2), .init(3)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .unauthorized("401")), .seconds(1), [.pause(destination: "", reason: "401"), .finishedAll]),
        ])
        #expect(s.tally.failed == 1 && s.tally.stopped == 2 && s.tally.delivered == 0)
    }

    @Test("once: every outcome is counted once and the run ends when nothing is left")
    func onceTally() {
        var s = once(parallel: 2)
        run(&s, [
            (.admitted(path: "a", .queued(1)), .zero, []),
            (.admitted(path: "b", .rejected), .zero, []),
            (.admitted(path: "c", .deferred("still open for writing")), .zero,
             [.admitLater(path: "c", reason: "still open for writing", firstTime: true)]),
            (.admitted(path: "d", .queued(2)), .zero, []),
            (.admitted(path: "e", .queued(3)), .zero, []),
            (.tick, .zero, [.start(1), .start(2)]),
            (.finished(id: 1, .delivered("uploaded/a")), .seconds(1), [.start(3)]),
            (.finished(id: 2, .failed("503", permanent: false)), .seconds(2), [.show(2, .failed("503"))]),
            (.finished(id: 3, .duplicate("uploaded/e")), .seconds(3), [.finishedAll]),
            (.tick, .seconds(4), []),
        ])
        #expect(s.tally.delivered == 2 && s.tally.rejected == 1 && s.tally.failed == 2 && s.tally.stopped == 0)
    }

    @Test("once: nothing to do ends at the first tick")
    func onceEmpty() {
        var s = once()
        run(&s, [(.tick, .zero, [.finishedAll]), (.tick, .zero, [])])
    }

    @Test("once: stopped (SIGTERM) counts what ran and what was queued as stopped")
    func onceStopped() {
        var s = once(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.stop, .seconds(1), []),
            (.finished(id: 1, .stopped), .seconds(1), [.finishedAll]),
        ])
        #expect(s.tally.stopped == 2)
    }

    @Test("daemon: a stopped transfer (not a shutdown) goes back to the head of the queue")
    func stoppedRequeued() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .stopped), .seconds(1), [.start(1)]),
        ])
    }

    @Test("daemon: a shutdown starts nothing new")
    func shutdown() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.stop, .seconds(1), []),
            (.finished(id: 1, .stopped), .seconds(1), []),
            (.tick, .seconds(2), []),
        ])
        #expect(!s.admitsNewFiles(now: .seconds(2)))
    }

    @Test("a superseded item is looked at again; no tally in the daemon's sense")
    func superseded() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .superseded("the file changed")), .seconds(1), [.lookAgain(1)]),
        ])
    }

    @Test("a full state folder holds admissions back, said once, until a file is taken again")
    func stateFull() {
        var s = daemon()
        run(&s, [
            (.admitted(path: "a", .stateFull("no space")), .seconds(10),
             [.holdAdmissions(reason: "no space"), .admitLater(path: "a", reason: "no space", firstTime: false)]),
            (.admitted(path: "b", .stateFull("no space")), .seconds(12),
             [.admitLater(path: "b", reason: "no space", firstTime: false)]),
        ])
        #expect(!s.admitsNewFiles(now: .seconds(41)))
        #expect(s.admitsNewFiles(now: .seconds(42)))
        run(&s, [(.admitted(path: "a", .queued(1)), .seconds(42), [.resumeAdmissions])])
        #expect(s.admitsNewFiles(now: .seconds(43)))
    }

    @Test("once: after a full state folder nothing more is taken")
    func onceStateFull() {
        var s = once()
        _ = s.handle(.admitted(path: "a", .stateFull("no space")), now: .zero)
        #expect(!s.admitsNewFiles(now: .seconds(3600)))
        #expect(s.tally.failed == 1)
    }

    @Test("deferred files are said once, then quietly watched again")
    func deferredOnce() {
        var s = daemon()
        run(&s, [
            (.admitted(path: "a", .deferred("still open")), .zero, [.admitLater(path: "a", reason: "still open", firstTime: true)]),
            (.admitted(path: "a", .deferred("still open")), .seconds(10), [.admitLater(path: "a", reason: "still open", firstTime: false)]),
            (.admitted(path: "a", .queued(4)), .seconds(20), []),
            (.admitted(path: "a", .deferred("still open")), .seconds(30), [.admitLater(path: "a", reason: "still open", firstTime: true)]),
        ])
    }

    @Test("a journal that cannot be written stops the process, from admission or delivery")
    func journalFailure() {
        var s = daemon()
        run(&s, [(.admitted(path: "a", .journalFailure("EIO")), .zero, [.stopProcess(reason: "EIO")])])
        #expect(s.stopping)
        var t = daemon()
        run(&t, [
            (.recovered([.init(1)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .journalFailure("EIO")), .zero, [.stopProcess(reason: "EIO")]),
            (.tick, .zero, []),
        ])
    }

    @Test("an item withdrawn at start frees its slot")
    func withdrawn() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2)]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.withdrawn(1), .zero, [.start(2)]),
        ])
    }

    @Test("destinations: a refused password pauses only its destination; the others go on")
    func pausePerDestination() {
        var s = daemon(parallel: 2)
        run(&s, [
            (.recovered([.init(1, "ocr"), .init(2, "ocr"), .init(3, "cg")]), .zero, []),
            (.tick, .zero, [.start(1), .start(3)]),
            (.finished(id: 1, .unauthorized("401")), .seconds(1), [.pause(destination: "ocr", reason: "401"), .show(1, .paused)]),
            (.admitted(path: "cg/b", .queued(4), destination: "cg"), .seconds(1), []),
            (.finished(id: 3, .delivered("uploaded/cg/a")), .seconds(2), [.start(4)]),
            (.credentialsChanged(destination: "cg"), .seconds(3), []),
            (.credentialsChanged(destination: "ocr"), .seconds(4), [.resume(destination: "ocr")]),
            (.tick, .seconds(4), [.start(1)]),
        ])
        #expect(s.paused.isEmpty)
    }

    @Test("destinations: slots are shared fairly; one body's long queue does not starve another's single file")
    func fairness() {
        var s = daemon(parallel: 2)
        let many = (1...300).map { Scheduler.Entry(UInt64($0), "cmi") }
        run(&s, [
            (.recovered(many), .zero, []),
            (.tick, .zero, [.start(1), .start(2)]),
            (.admitted(path: "cg/one.mp4", .queued(301), destination: "cg"), .seconds(1), []),
            (.finished(id: 1, .delivered("uploaded/cmi/1")), .seconds(2), [.start(301)]),
            (.finished(id: 2, .delivered("uploaded/cmi/2")), .seconds(3), [.start(3)]),
        ])
    }

    @Test("once: a refused password stops only its destination; what it still had queued counts as stopped")
    func onceUnauthorizedPerDestination() {
        var s = once(parallel: 1)
        run(&s, [
            (.recovered([.init(1, "ocr"), .init(2, "ocr"), .init(3, "cg")]), .zero, []),
            (.tick, .zero, [.start(1)]),
            (.finished(id: 1, .unauthorized("401")), .seconds(1), [.pause(destination: "ocr", reason: "401"), .start(3)]),
            (.finished(id: 3, .delivered("uploaded/cg/a")), .seconds(2), [.finishedAll]),
        ])
        #expect(s.tally.failed == 1 && s.tally.delivered == 1 && s.tally.stopped == 1)
    }

    @Test("earliest deadline first, then oldest first; items without a deadline after those with one")
    func earliestDeadlineFirst() {
        var s = daemon(parallel: 1)
        run(&s, [
            (.recovered([.init(1), .init(2, deadline: 2_000), .init(3, deadline: 1_000)]), .zero, []),
            (.admitted(path: "d", .queued(4), deadline: 1_000), .zero, []),
            (.admitted(path: "e", .queued(5), deadline: 500), .zero, []),
        ])
        #expect(s.pending == [5, 3, 4, 2, 1])
        run(&s, [
            (.tick, .zero, [.start(5)]),
            (.finished(id: 5, .failed("503", permanent: false)), .seconds(1), [.show(5, .retrying("503; trying again in 60 s")), .start(3)]),
        ])
        // Waiting out its retry delay, the urgent item keeps its place at the head.
        #expect(s.pending == [5, 4, 2, 1])
    }
}


extension SchedulerTests {
    @Test("small files take their own lane beside the large uploads, which keep their streams")
    func smallFileLane() {
        var s = Scheduler(settings: .init(mode: .daemon, parallelUploads: 2, smallFileLimit: 1_000, smallFileSlots: 2))
        run(&s, [
            (.recovered([.init(1, size: 5_000), .init(2, size: 5_000), .init(3, size: 5_000),
                         .init(4, size: 10), .init(5, size: 10), .init(6, size: 10)]), .zero, []),
            // Two large uploads; two small files in their own lane; the third small waits.
            (.tick, .zero, [.start(1), .start(2), .start(4), .start(5)]),
            (.finished(id: 4, .delivered("a")), .seconds(1), [.start(6)]),
            // A large slot frees: the next large goes, not a small one.
            (.finished(id: 1, .delivered("b")), .seconds(2), [.start(3)]),
        ])
        var quiet = Scheduler(settings: .init(mode: .daemon, parallelUploads: 1, smallFileLimit: 1_000, smallFileSlots: 3))
        // With no large upload running, small files may also use the idle large slot.
        run(&quiet, [
            (.recovered((10...15).map { .init(UInt64($0), size: 10) }), .zero, []),
            (.tick, .zero, [.start(10), .start(11), .start(12), .start(13)]),
        ])
    }
}

@Suite("Delivery forecast")
struct DeliveryForecastTests {
    @Test("files are delivered one after another at the link's rate; a late one is at risk, a past deadline overdue")
    func pipe() {
        let now: Int64 = 1_000_020  // 20 s into a minute
        let queue = [
            DeliveryForecast.Item(id: 1, remaining: 1_000, deadline: now + 100),
            DeliveryForecast.Item(id: 2, remaining: 2_000, deadline: now + 20),
            DeliveryForecast.Item(id: 3, remaining: 500, deadline: now - 5),
            DeliveryForecast.Item(id: 4, remaining: 500, deadline: nil),
        ]
        let estimates = DeliveryForecast.estimate(queue: queue, now: now) { _ in 100 }
        #expect(estimates[1] == .init(delivery: now + 10, risk: nil))
        #expect(estimates[2] == .init(delivery: now + 30, risk: .atRisk))
        #expect(estimates[3] == .init(delivery: now + 35, risk: .overdue))
        #expect(estimates[4] == .init(delivery: now + 40, risk: nil))
    }

    @Test("a window that caps or stops the rate moves the estimate")
    func schedule() {
        let now: Int64 = 6_000  // on a minute
        // Nothing moves for the first two minutes, then 10 bytes/s.
        let estimates = DeliveryForecast.estimate(queue: [.init(id: 1, remaining: 600, deadline: now + 150)], now: now) { t in
            t < now + 120 ? 0 : 10
        }
        #expect(estimates[1] == .init(delivery: now + 180, risk: .atRisk))
    }

    @Test("a link that gives nothing has no estimate: a deadline file is at risk")
    func stalled() {
        let estimates = DeliveryForecast.estimate(queue: [.init(id: 1, remaining: 1, deadline: 5_000_000), .init(id: 2, remaining: 1, deadline: nil)],
                                                  now: 1_000) { _ in 0 }
        #expect(estimates[1] == .init(delivery: nil, risk: .atRisk))
        #expect(estimates[2] == .init(delivery: nil, risk: nil))
    }
}
