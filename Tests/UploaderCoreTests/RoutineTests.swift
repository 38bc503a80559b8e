import Testing
import UploaderCore

/// The service's routine duties as tables: each step a tick at a time, with what the moment is
/// like, and the exact duties due. No process, no clock, no sleep.
private enum Step {
    case tick(at: Duration, polling: Bool = false, paused: Bool = false, [Routine.Duty])
    /// A duty done for another reason (a scan on a hint, a credential check on a pause).
    case did(Routine.Duty, at: Duration)
    /// A reload with a new `poll_interval`.
    case pollInterval(Duration)
}

private func run(_ steps: [Step], poll: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) {
    var routine = Routine(intervals: .init(poll: poll))
    for (index, step) in steps.enumerated() {
        switch step {
        case let .tick(at, polling, paused, expected):
            let due = routine.due(now: at, .init(polling: polling, paused: paused))
            #expect(due == expected, "step \(index + 1): tick at \(at)", sourceLocation: sourceLocation)
        case let .did(duty, at):
            routine.did(duty, now: at)
        case let .pollInterval(interval):
            routine.intervals.poll = interval
        }
    }
}

@Suite("Routine")
struct RoutineTests {
    @Test("the first tick: every duty is due, in order; credentials only while paused")
    func firstTick() {
        run([.tick(at: .zero, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves])])
        run([.tick(at: .zero, paused: true, [.scan, .recheckSettling, .checkDropFolder, .status, .credentials, .forecast, .settleMoves])])
    }

    @Test("watching with inotify: settling, status and moves each second, the folder and forecast each 5 s, a safety scan each 2 min")
    func watching() {
        run([
            .tick(at: .zero, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .milliseconds(250), []),
            .tick(at: .milliseconds(999), []),
            .tick(at: .seconds(1), [.recheckSettling, .status, .settleMoves]),
            .tick(at: .milliseconds(1250), []),
            .tick(at: .seconds(2), [.recheckSettling, .status, .settleMoves]),
            .tick(at: .seconds(5), [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(119), [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(120), [.scan, .recheckSettling, .status, .settleMoves]),
        ])
    }

    @Test("polling: a scan every poll_interval, and when inotify runs out of watches")
    func polling() {
        run([
            .tick(at: .zero, polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(4), polling: true, [.recheckSettling, .status, .settleMoves]),
            .tick(at: .seconds(10), polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            // inotify gave up at 15 s: the next scan is a poll interval after the last one.
            .tick(at: .seconds(15), polling: false, [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(20), polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
        ], poll: .seconds(10))
    }

    @Test("a scan on a hint starts the interval again: no second scan soon after")
    func scanOnHint() {
        run([
            .tick(at: .zero, polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .did(.scan, at: .seconds(8)),
            .tick(at: .seconds(10), polling: true, [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(18), polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
        ], poll: .seconds(10))
    }

    @Test("credentials: first looked at 5 s after the pause, then every 5 s while paused, not at all after")
    func credentialsWhilePaused() {
        run([
            .tick(at: .zero, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .did(.credentials, at: .seconds(3)),  // the pause
            .tick(at: .seconds(5), paused: true, [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(8), paused: true, [.recheckSettling, .status, .credentials, .settleMoves]),
            .tick(at: .seconds(12), paused: true, [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .tick(at: .seconds(13), paused: true, [.recheckSettling, .status, .credentials, .settleMoves]),
            .tick(at: .seconds(20), paused: false, [.recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
        ])
    }

    @Test("a reload that shortens poll_interval counts from the last scan")
    func reloadedPollInterval() {
        run([
            .tick(at: .zero, polling: true, [.scan, .recheckSettling, .checkDropFolder, .status, .forecast, .settleMoves]),
            .pollInterval(.seconds(2)),
            .tick(at: .seconds(1), polling: true, [.recheckSettling, .status, .settleMoves]),
            .tick(at: .seconds(2), polling: true, [.scan, .recheckSettling, .status, .settleMoves]),
        ], poll: .seconds(60))
    }
}
