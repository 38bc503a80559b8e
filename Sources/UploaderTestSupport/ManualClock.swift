#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Synchronization

/// A clock that moves only when told to.
final class ManualClock: TimeSource {
    private let time: Mutex<(now: Int64, monotonic: Duration)>

    init(now: Int64 = 1_800_000_000, monotonic: Duration = .seconds(1_000)) {
        time = Mutex((now, monotonic))
    }

    func now() -> Int64 { time.withLock { $0.now } }
    func monotonic() -> Duration { time.withLock { $0.monotonic } }

    func advance(_ duration: Duration) {
        time.withLock {
            $0.monotonic += duration
            $0.now += duration.components.seconds
        }
    }
}
#endif
