#if canImport(Glibc)
import Glibc
#endif

enum WallClock {
    static func now() -> Int64 { Int64(time(nil)) }

    /// Monotonic seconds, for durations and rates.
    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
