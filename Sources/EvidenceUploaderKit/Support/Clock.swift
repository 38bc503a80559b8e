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

extension WallClock {
    /// `strftime` of a time in the machine's local time zone.
    static func localText(_ seconds: Int64, format: String) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Deadline {
    /// Seconds since the epoch of this local date and time (the machine's time zone, summer time
    /// included).
    var epochSeconds: Int64 {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }
}

extension Config {
    /// When the evidence of this unit for this destination is due, if it has a deadline.
    func deadline(unit: String, destination: String) -> Int64? {
        (self.destination(named: destination) ?? destinations.first)?.deadlines[unit]?.epochSeconds
    }
}

