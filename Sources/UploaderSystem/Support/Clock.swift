#if canImport(Glibc)
import Glibc
#endif

package enum WallClock {
    package static func now() -> Int64 { Int64(time(nil)) }

    /// Monotonic seconds, for durations and rates.
    package static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The same clock as a `Duration` since its (arbitrary) start.
    package static func monotonicDuration() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }
}

extension WallClock {
    /// `strftime` of a time in the machine's local time zone.
    package static func localText(_ seconds: Int64, format: String) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
