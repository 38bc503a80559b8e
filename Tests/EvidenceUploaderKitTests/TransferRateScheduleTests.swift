@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCurl
@testable import UploaderSystem

private let mbit5: Int64 = 625_000

@Test("RateWindow parses", arguments: [
    ("Mon-Fri 08:30-15:30 5Mbit/s", Set([1, 2, 3, 4, 5]), 510, 930, Optional(mbit5)),
    ("Sat,Sun unlimited", Set([6, 0]), 0, 1440, nil),
    ("daily 00:00-06:00 unlimited", Set(0..<7), 0, 360, nil),
    ("Fri-Mon 16:00-24:00 2.5MB/s", Set([5, 6, 0, 1]), 960, 1440, Optional(2_500_000)),
    ("mon 09:00-10:00 1Mbit/s", Set([1]), 540, 600, Optional(125_000)),
] as [(String, Set<Int>, Int, Int, Int64?)])
func rateWindowParses(_ text: String, _ days: Set<Int>, _ start: Int, _ end: Int, _ rate: Int64?) throws {
    let window = try RateWindow.parse(text)
    #expect(window.days == days)
    #expect(window.startMinute == start)
    #expect(window.endMinute == end)
    #expect(window.rate?.bytesPerSecond == rate)
    #expect(window.description == text)
}

@Test("RateWindow refuses", arguments: [
    "", "Mon-Fri", "Mon-Fri 08:00-07:00 5Mbit/s", "Funday 5Mbit/s", "Mon 8:00-9:00 5Mbit/s",
    "Mon 08:00-25:00 5Mbit/s", "Mon 08:00-09:00 fast", "Mon 08:00-09:00 5Mbit/s extra",
])
func rateWindowRefuses(_ text: String) {
    #expect(throws: ConfigValueError.self) { try RateWindow.parse(text) }
}

@Test("RateSchedule: first covering window wins, else max_rate", arguments: [
    (1, 9 * 60, mbit5),        // Monday in school hours
    (1, 16 * 60, 2_000_000),   // Monday evening: max_rate
    (6, 9 * 60, 0),            // Saturday: unlimited
    (3, 8 * 60 + 29, 2_000_000),
    (3, 8 * 60 + 30, mbit5),
    (3, 15 * 60 + 30, 2_000_000),
] as [(Int, Int, Int64)])
func rateSchedule(_ weekday: Int, _ minute: Int, _ expected: Int64) throws {
    let windows = [try RateWindow.parse("Mon-Fri 08:30-15:30 5Mbit/s"), try RateWindow.parse("Sat,Sun unlimited")]
    let rate = try TransferRate.parse("2MB/s")
    #expect(RateSchedule.bytesPerSecond(windows: windows, defaultRate: rate, weekday: weekday, minute: minute) == expected)
}

@Test func scheduleInConfigParsesAndRoundTrips() throws {
    let text = """
    [centre]
    number = "12345"
    [portal]
    url = "https://portal.example.org/files/"
    [transfer]
    schedule = ["Mon-Fri 08:30-15:30 5Mbit/s", "Sat,Sun unlimited"]
    """
    let config = try Config.parse(text, source: "t.toml", baseDirectory: "/")
    #expect(config.transfer.schedule.count == 2)
    let again = try Config.parse(config.rendered(), source: "r.toml", baseDirectory: "/")
    #expect(again.transfer.schedule == config.transfer.schedule)
}

@Test func badScheduleWindowIsReportedWithKeyAndValue() {
    let text = """
    [centre]
    number = "12345"
    [portal]
    url = "https://portal.example.org/files/"
    [transfer]
    schedule = ["Mon-Fri 08:30-15:30 5Mbit/s", "Someday unlimited"]
    """
    do {
        _ = try Config.parse(text, source: "t.toml", baseDirectory: "/")
        Issue.record("a bad window was accepted")
    } catch {
        #expect(error.message.contains("schedule"))
        #expect(error.message.contains("Someday"))
    }
}

@Test func rateLimiterCapsTheRate() {
    let limiter = RateLimiter(bytesPerSecond: 400_000)
    let start = WallClock.monotonic()
    var sent = 0
    while sent < 200_000 { sent += limiter.acquire(65_536, stop: nil) }
    let elapsed = WallClock.monotonic() - start
    // 200 kB at 400 kB/s with a 100 kB burst: at least ~0.25 s.
    #expect(elapsed >= 0.2, "took \(elapsed) s")
    limiter.setRate(0)
    #expect(limiter.acquire(1 << 20, stop: nil) == 1 << 20)
}
