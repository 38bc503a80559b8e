@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig

@Suite("Config value types")
struct ConfigValueTypesTests {
    // MARK: ByteSize

    static let goodSizes: [(String, Int64)] = [
        ("2.5GB", 2_500_000_000), ("150MB", 150_000_000), ("8MiB", 8_388_608), ("512kB", 512_000),
        ("100B", 100), ("0B", 0), ("1KiB", 1024), ("1.5KiB", 1536), ("2 GiB", 2_147_483_648),
        ("1TB", 1_000_000_000_000), ("1TiB", 1 << 40), ("0.5MB", 500_000), ("2.50GB", 2_500_000_000),
        ("0.0009765625KiB", 1), ("8388607TB", 8_388_607_000_000_000_000), ("9223372036854775807B", .max),
    ]

    @Test("ByteSize parses", arguments: goodSizes)
    func sizeParses(text: String, bytes: Int64) throws {
        #expect(try ByteSize.parse(text) == ByteSize(bytes: bytes))
    }

    static let badSizes: [(String, String)] = [
        ("", "empty size"),
        ("-1MB", "negative size \"-1MB\""),
        ("2.5Gb", "unknown unit \"Gb\"; allowed: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"),
        ("10kb", "unknown unit \"kb\""),
        ("10KB", "unknown unit \"KB\""),
        ("100", "missing unit in \"100\""),
        ("MB", "is not a number"),
        ("1.B", "is not a number"),
        (".5MB", "is not a number"),
        ("1.5B", "is not a whole number of bytes"),
        ("1  MB", "unknown unit \" MB\""),
        (" 1MB", "is not a number"),
        ("1MB ", "unknown unit \"MB \""),
        ("10000000TB", "is too large"),
        ("99999999999999999999B", "is too large"),
        ("1.0000000000000000001GB", "too many decimal places"),
    ]

    @Test("ByteSize refuses", arguments: badSizes)
    func sizeRefused(text: String, fragment: String) {
        #expect {
            try ByteSize.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(fragment) == true
        }
    }

    @Test func sizeErrorMessageExact() {
        #expect(throws: ConfigValueError(reason: "unknown unit \"Gb\"", allowed: "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB")) {
            try ByteSize.parse("2.5Gb")
        }
        #expect((try? ByteSize.parse("2.5Gb")) == nil)
    }

    static let canonicalSizes: [(Int64, String)] = [
        (2_500_000_000, "2.5GB"), (8_388_608, "8MiB"), (150_000_000, "150MB"), (123, "123B"), (0, "0B"),
        (1000, "1kB"), (1024, "1KiB"), (1536, "1536B"), (15_360, "15KiB"), (500_000, "500kB"), (1 << 40, "1TiB"),
        (262_144, "256KiB"), (1_073_741_824, "1GiB"), (2_500_000, "2.5MB"), (1001, "1001B"), (12_345_000, "12345kB"), (12_500_000, "12.5MB"),
    ]

    @Test("ByteSize description is canonical", arguments: canonicalSizes)
    func sizeDescription(bytes: Int64, text: String) throws {
        #expect(ByteSize(bytes: bytes).description == text)
        #expect(try ByteSize.parse(text).bytes == bytes)
    }

    @Test func sizeDescriptionAlwaysParsesBack() throws {
        var generator = SplitMix(seed: 42)
        var values: [Int64] = [.max, .max - 1, 1, 999, 1023, 1025, 999_999_999_999]
        for _ in 0..<2000 {
            let magnitude = generator.next() % 63
            values.append(Int64(generator.next() % (UInt64(1) << magnitude)))
            values.append(Int64(generator.next() % 10_000) * [1, 1000, 1024, 1 << 20, 1_000_000][Int(generator.next() % 5)])
        }
        for value in values {
            let text = ByteSize(bytes: value).description
            #expect(try ByteSize.parse(text).bytes == value, "\(value) -> \(text)")
        }
    }

    @Test func sizesCompare() {
        #expect(ByteSize(bytes: 1) < ByteSize(bytes: 2))
        #expect(!(ByteSize(bytes: 2) < ByteSize(bytes: 2)))
    }

    // MARK: TransferRate

    static let goodRates: [(String, Int64)] = [
        ("20Mbit/s", 2_500_000), ("100kbit/s", 12_500), ("1Gbit/s", 125_000_000), ("2.5MB/s", 2_500_000),
        ("512KiB/s", 524_288), ("8bit/s", 1), ("1B/s", 1), ("20 Mbit/s", 2_500_000), ("1.5Mbit/s", 187_500),
    ]

    @Test("TransferRate parses", arguments: goodRates)
    func rateParses(text: String, bytesPerSecond: Int64) throws {
        #expect(try TransferRate.parse(text).bytesPerSecond == bytesPerSecond)
    }

    static let badRates: [(String, String)] = [
        ("", "empty rate"),
        ("20Mbit", "is not a rate per second"),
        ("20Mb/s", "unknown unit \"Mb\""),
        ("20mbit/s", "unknown unit \"mbit/s\""),
        ("0B/s", "is not more than 0 bytes per second"),
        ("0Mbit/s", "is not more than 0 bytes per second"),
        ("4bit/s", "is not more than 0 bytes per second"),
        ("-1MB/s", "negative size"),
        ("fast/s", "is not a number"),
        ("99999999999Tbit/s", "is too large"),
    ]

    @Test("TransferRate refuses", arguments: badRates)
    func rateRefused(text: String, fragment: String) {
        #expect {
            try TransferRate.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(fragment) == true
        }
    }

    @Test func rateDescriptionParsesBack() throws {
        for rate in [1, 12_500, 2_500_000, 524_288, 125_000_000, 987_654_321] as [Int64] {
            let text = TransferRate(bytesPerSecond: rate).description
            #expect(try TransferRate.parse(text).bytesPerSecond == rate, "\(text)")
        }
        #expect(TransferRate(bytesPerSecond: 2_500_000).description == "2.5MB/s")
    }

    // MARK: DurationText

    static let goodDurations: [(String, Duration)] = [
        ("10s", .seconds(10)), ("250ms", .milliseconds(250)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1.5s", .milliseconds(1500)), ("0s", .zero), ("0.5h", .seconds(1800)), ("1.5ms", .microseconds(1500)),
        ("0.000000001s", .nanoseconds(1)), ("2562047h", .seconds(2562047 * 3600)),
    ]

    @Test("DurationText parses", arguments: goodDurations)
    func durationParses(text: String, duration: Duration) throws {
        #expect(try DurationText.parse(text) == duration)
    }

    static let badDurations: [(String, String)] = [
        ("", "empty duration"),
        ("-1s", "negative duration"),
        ("10", "missing unit in \"10\"; allowed: ms, s, m, h"),
        ("10sec", "unknown unit \"sec\"; allowed: ms, s, m, h"),
        ("10S", "unknown unit \"S\""),
        ("1d", "unknown unit \"d\""),
        ("s", "is not a number"),
        ("0.0000000001s", "finer than a nanosecond"),
        ("9999999999h", "is too long"),
    ]

    @Test("DurationText refuses", arguments: badDurations)
    func durationRefused(text: String, fragment: String) {
        #expect {
            try DurationText.parse(text)
        } throws: { error in
            (error as? ConfigValueError)?.message.contains(fragment) == true
        }
    }

    static let canonicalDurations: [(Duration, String)] = [
        (.zero, "0s"), (.seconds(10), "10s"), (.milliseconds(250), "250ms"), (.seconds(300), "5m"),
        (.seconds(3600), "1h"), (.milliseconds(1500), "1.5s"), (.seconds(90), "90s"), (.seconds(5400), "90m"),
        (.microseconds(1500), "1.5ms"), (.nanoseconds(1), "0.000001ms"),
    ]

    @Test("DurationText.format is canonical", arguments: canonicalDurations)
    func durationFormat(duration: Duration, text: String) throws {
        #expect(DurationText.format(duration) == text)
        #expect(try DurationText.parse(text) == duration)
    }
}
