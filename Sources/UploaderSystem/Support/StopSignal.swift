import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A flag a graceful stop raises; long blocking work (transfers, hashing, backoff sleeps)
/// polls it so SIGTERM ends the process within seconds.
package final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    package init() {}

    package var isRaised: Bool { raised.load(ordering: .acquiring) }

    package func raise() { raised.store(true, ordering: .releasing) }

    /// Lowers it again (for flags that are handled and re-armed, such as a reload request).
    package func reset() { raised.store(false, ordering: .releasing) }

    /// Sleeps up to `seconds`, waking early when the signal is raised. Returns false if stopped.
    @discardableResult
    package func sleep(seconds: Double) -> Bool {
        var left = seconds
        while left > 0 {
            if isRaised { return false }
            let step = min(left, 0.1)
            usleep(UInt32(step * 1_000_000))
            left -= step
        }
        return !isRaised
    }
}
