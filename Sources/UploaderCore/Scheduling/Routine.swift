/// The service's routine duties besides the queue, and when each is due. Pure: the driver passes
/// `now` (the run's monotonic time, since it began) and the conditions of the moment, performs
/// the duties `due` names, and says when one was done for another reason (`did`). Every interval
/// is stated here, once.
package struct Routine: Sendable {
    package enum Duty: Sendable, Equatable, CaseIterable {
        /// Walk the whole drop folder: every `poll_interval` when polling (or when inotify ran out
        /// of watches), else now and then as a safety net for events the kernel dropped.
        case scan
        /// Look again at files seen but not yet settled.
        case recheckSettling
        /// Whether the drop folder is still the folder at its path (moved, replaced, come back).
        case checkDropFolder
        /// The status: the board flushed, the service manager's status line, the page, the
        /// metrics, compaction, the rate schedule.
        case status
        /// While a destination is paused for refused credentials: whether they changed.
        case credentials
        /// The deadline forecast and the daily summary.
        case forecast
        /// The files moved into `uploaded/` since the last time made durable together, and then
        /// recorded (`Journal.settle`).
        case settleMoves
    }

    package struct Intervals: Sendable, Equatable {
        /// `[folders] poll_interval`.
        package var poll: Duration
        package var safetyScan: Duration = .seconds(120)
        package var recheckSettling: Duration = .seconds(1)
        package var checkDropFolder: Duration = .seconds(5)
        package var status: Duration = .seconds(1)
        package var credentials: Duration = .seconds(5)
        package var forecast: Duration = .seconds(5)
        package var settleMoves: Duration = .seconds(1)

        package init(poll: Duration) {
            self.poll = poll
        }

        func interval(of duty: Duty, polling: Bool) -> Duration {
            switch duty {
            case .scan: polling ? poll : safetyScan
            case .recheckSettling: recheckSettling
            case .checkDropFolder: checkDropFolder
            case .status: status
            case .credentials: credentials
            case .forecast: forecast
            case .settleMoves: settleMoves
            }
        }
    }

    /// What the moment is like, for the duties that depend on it.
    package struct Conditions: Sendable, Equatable {
        /// Polling the drop folder (`watch = "poll"`, or inotify out of watches).
        package var polling: Bool
        /// A destination is paused for refused credentials.
        package var paused: Bool

        package init(polling: Bool, paused: Bool) {
            self.polling = polling
            self.paused = paused
        }
    }

    package var intervals: Intervals
    /// When each duty was last done; never done: due at once.
    private var last: [Duty: Duration] = [:]

    package init(intervals: Intervals) {
        self.intervals = intervals
    }

    /// The duties due at `now`, in the order to perform them; each is counted as done at `now`.
    package mutating func due(now: Duration, _ conditions: Conditions) -> [Duty] {
        var due: [Duty] = []
        for duty in Duty.allCases {
            if duty == .credentials && !conditions.paused { continue }
            if let done = last[duty], now - done < intervals.interval(of: duty, polling: conditions.polling) { continue }
            last[duty] = now
            due.append(duty)
        }
        return due
    }

    /// A duty done for another reason (a scan on a hint, a credential check on a pause): its
    /// interval starts again from `now`.
    package mutating func did(_ duty: Duty, now: Duration) {
        last[duty] = now
    }
}
