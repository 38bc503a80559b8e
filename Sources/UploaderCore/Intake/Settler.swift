/// Decides when a file has finished arriving: seen with the same size and mtime for
/// `settleTime`. Pure: the caller passes what it saw and the run's monotonic time, so it is
/// tested with tables, no clock and no files.
package struct Settler: Sendable {
    package struct Observation: Sendable, Equatable {
        package var size: Int64
        var modified: Int64
        /// When this size and mtime were first seen.
        var stableSince: Duration
        /// When the file was first seen at all.
        var firstSeen: Duration
        package var changes: Int
    }

    package var settleTime: Duration
    package private(set) var observations: [String: Observation] = [:]

    package init(settleTime: Duration) {
        self.settleTime = settleTime
    }

    package mutating func observe(_ path: String, size: Int64, modified: Int64, now: Duration) {
        if var seen = observations[path] {
            if seen.size != size || seen.modified != modified {
                seen.size = size
                seen.modified = modified
                seen.stableSince = now
                seen.changes += 1
                observations[path] = seen
            }
        } else {
            observations[path] = Observation(size: size, modified: modified, stableSince: now, firstSeen: now, changes: 0)
        }
    }

    package mutating func forget(_ path: String) {
        observations[path] = nil
        // A dictionary keeps its capacity: once 10,000 arrivals have settled, let it go.
        if observations.isEmpty { observations = [:] }
    }

    /// Files unchanged for the settle time, oldest first.
    package func ready(now: Duration) -> [String] {
        // Indices are sorted, not a filtered copy of the observations: the first scan of a drop
        // folder with 10,000 files makes them all ready at once.
        var ready: [Dictionary<String, Observation>.Index] = []
        var index = observations.startIndex
        while index != observations.endIndex {
            if now - observations[index].value.stableSince >= settleTime { ready.append(index) }
            index = observations.index(after: index)
        }
        ready.sort { x, y in
            let a = observations[x], b = observations[y]
            return (a.value.firstSeen, a.key) < (b.value.firstSeen, b.key)
        }
        return ready.map { observations[$0].key }
    }

    /// Files still changing: seen to change at least once and not yet quiet for the settle time.
    func stillBeingWritten(now: Duration) -> [String] {
        observations.filter { $0.value.changes > 0 && now - $0.value.stableSince < settleTime }.map(\.key).sorted()
    }

    /// When the next file could become ready (for sleeping until then).
    func nextReadyTime() -> Duration? {
        observations.values.map { $0.stableSince + settleTime }.min()
    }
}
