#if canImport(Glibc)
import Glibc
#endif

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
    package func deadline(unit: String, destination: String) -> Int64? {
        (self.destination(named: destination) ?? destinations.first)?.deadlines[unit]?.epochSeconds
    }
}

