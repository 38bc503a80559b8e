import Synchronization
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// One token bucket shared by every transfer, so `max_rate` caps the total, not each upload.
/// libcurl's read callbacks ask it for bytes; it sleeps the asking transfer thread until the
/// bytes are allowed. The rate can change at any time (schedule windows, a reloaded config).
package final class RateLimiter: Sendable {
    private struct Bucket {
        var bytesPerSecond: Int64   // 0 = unlimited
        var tokens: Double
        var last: Double
    }

    private let bucket: Mutex<Bucket>

    package init(bytesPerSecond: Int64) {
        bucket = Mutex(Bucket(bytesPerSecond: bytesPerSecond, tokens: 0, last: WallClock.monotonic()))
    }

    package var bytesPerSecond: Int64 { bucket.withLock { $0.bytesPerSecond } }

    package func setRate(_ bytesPerSecond: Int64) {
        bucket.withLock { b in
            if b.bytesPerSecond != bytesPerSecond {
                b.bytesPerSecond = bytesPerSecond
                b.tokens = min(b.tokens, Double(max(bytesPerSecond, 0)) / 4)
            }
        }
    }

    /// Waits until up to `want` bytes may be sent and returns how many (at least 1), or 0 when
    /// `stop` is raised while waiting.
    func acquire(_ want: Int, stop: StopSignal?) -> Int {
        while true {
            let (granted, wait): (Int, Double) = bucket.withLock { b in
                guard b.bytesPerSecond > 0 else { return (want, 0) }
                let now = WallClock.monotonic()
                let rate = Double(b.bytesPerSecond)
                // A quarter of a second's worth of burst keeps the link busy without overshooting.
                let capacity = max(rate / 4, 16 * 1024)
                b.tokens = min(capacity, b.tokens + (now - b.last) * rate)
                b.last = now
                let smallest = Double(min(want, 1024))
                if b.tokens >= smallest {
                    let n = min(want, Int(b.tokens))
                    b.tokens -= Double(n)
                    return (n, 0)
                }
                return (0, (smallest - b.tokens) / rate)
            }
            if granted > 0 { return granted }
            if stop?.isRaised == true { return 0 }
            usleep(UInt32(min(max(wait, 0.001), 0.1) * 1_000_000))
        }
    }
}
