/// A time window with its own upload rate, for example a lower rate in school hours:
/// `"Mon-Fri 08:30-15:30 5Mbit/s"`, `"Sat,Sun unlimited"`, `"daily 00:00-06:00 unlimited"`.
/// Days: Mon Tue Wed Thu Fri Sat Sun, ranges (`Mon-Fri`), lists (`Sat,Sun`) or `daily`; the time
/// range is optional (the whole day) and may end at 24:00; the rate is a rate or `unlimited`.
struct RateWindow: Sendable, Equatable, CustomStringConvertible {
    /// 0 = Sunday ... 6 = Saturday, as `tm_wday`.
    var days: Set<Int>
    var startMinute: Int
    var endMinute: Int
    /// nil = unlimited.
    var rate: TransferRate?
    let description: String

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let allowed = "\"DAYS [HH:MM-HH:MM] RATE\", e.g. \"Mon-Fri 08:30-15:30 5Mbit/s\" or \"Sat,Sun unlimited\"; DAYS: Mon..Sun, ranges, lists or daily; RATE: a rate or unlimited"

    static func parse(_ text: String) throws(ConfigValueError) -> RateWindow {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 2 || words.count == 3 else {
            throw ConfigValueError(reason: "a window has days, an optional time range and a rate", allowed: allowed)
        }
        let days = try parseDays(words[0])
        var start = 0
        var end = 24 * 60
        if words.count == 3 {
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 2, let s = minutes(parts[0]), let e = minutes(parts[1]), s < e else {
                throw ConfigValueError(reason: "bad time range \(words[1].debugQuoted)", allowed: "HH:MM-HH:MM with the start before the end, up to 24:00")
            }
            start = s
            end = e
        }
        let rateText = words.last!
        let rate: TransferRate? = rateText.lowercased() == "unlimited" ? nil : try TransferRate.parse(rateText)
        return RateWindow(days: days, startMinute: start, endMinute: end, rate: rate, description: text)
    }

    /// Does this window cover minute `minute` (0..<1440) of weekday `weekday`?
    func covers(weekday: Int, minute: Int) -> Bool {
        days.contains(weekday) && minute >= startMinute && minute < endMinute
    }

    private static func parseDays(_ text: String) throws(ConfigValueError) -> Set<Int> {
        if text.lowercased() == "daily" { return Set(0..<7) }
        var days = Set<Int>()
        for part in text.lowercased().split(separator: ",") {
            let ends = part.split(separator: "-").map(String.init)
            guard (1...2).contains(ends.count), let first = dayNames.firstIndex(of: ends[0]),
                  let last = dayNames.firstIndex(of: ends.last!) else {
                throw ConfigValueError(reason: "bad days \(text.debugQuoted)", allowed: "Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges such as Mon-Fri, lists such as Sat,Sun, or daily")
            }
            var day = first
            while true {
                days.insert(day)
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return days
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m) else { return nil }
        let total = h * 60 + m
        return total <= 24 * 60 ? total : nil
    }
}

/// The upload rate in force at a moment: the first window that covers it, else `max_rate`.
/// Pure: the caller passes the weekday and minute of the local time.
package enum RateSchedule {
    /// Bytes per second; 0 = unlimited.
    static func bytesPerSecond(windows: [RateWindow], defaultRate: TransferRate?, weekday: Int, minute: Int) -> Int64 {
        if let window = windows.first(where: { $0.covers(weekday: weekday, minute: minute) }) {
            return window.rate?.bytesPerSecond ?? 0
        }
        return defaultRate?.bytesPerSecond ?? 0
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension RateSchedule {
    /// The rate for now, in the machine's local time.
    package static func bytesPerSecondNow(_ transfer: Config.Transfer) -> Int64 {
        bytesPerSecond(transfer, at: Int64(time(nil)))
    }

    /// The rate at second `epochSeconds`, in the machine's local time.
    package static func bytesPerSecond(_ transfer: Config.Transfer, at epochSeconds: Int64) -> Int64 {
        var t = time_t(epochSeconds)
        var parts = tm()
        localtime_r(&t, &parts)
        return bytesPerSecond(windows: transfer.schedule, defaultRate: transfer.maxRate,
                              weekday: Int(parts.tm_wday), minute: Int(parts.tm_hour) * 60 + Int(parts.tm_min))
    }
}
