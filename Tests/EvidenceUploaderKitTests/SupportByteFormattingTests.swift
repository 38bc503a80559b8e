@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("ByteFormatting.human", arguments: [
    (Int64(0), "0 bytes"), (1, "1 byte"), (2, "2 bytes"), (999, "999 bytes"),
    (1000, "1.00 kB"), (1234, "1.23 kB"), (1500, "1.50 kB"), (9_994, "9.99 kB"),
    (10_000, "10.0 kB"), (12_345, "12.3 kB"), (99_940, "99.9 kB"), (100_000, "100 kB"),
    (999_000, "999 kB"), (999_499, "999 kB"), (999_500, "1.00 MB"),
    (1_000_000, "1.00 MB"), (20_000_000, "20.0 MB"), (150_000_000, "150 MB"),
    (2_500_000_000, "2.50 GB"), (2_610_000_000, "2.61 GB"), (1_000_000_000_000, "1.00 TB"),
    (Int64.max, "9.22 EB"),
])
func byteFormattingHuman(_ bytes: Int64, _ expected: String) {
    #expect(ByteFormatting.human(bytes) == expected)
}

@Test("ByteFormatting.rate", arguments: [
    (0.0, "0 bit/s"), (1, "8 bit/s"), (100, "800 bit/s"), (124.8, "998 bit/s"),
    (125, "1.0 kbit/s"), (1_250, "10.0 kbit/s"), (2_475_000, "19.8 Mbit/s"),
    (12_500_000, "100.0 Mbit/s"), (125_000_000, "1.0 Gbit/s"), (1_250_000_000_000, "10000.0 Gbit/s"),
])
func byteFormattingRate(_ bytesPerSecond: Double, _ expected: String) {
    #expect(ByteFormatting.rate(bytesPerSecond: bytesPerSecond) == expected)
}

@Test("ByteFormatting.fixed", arguments: [
    (1.005, 0, "1"), (2.5, 0, "3"), (1.25, 1, "1.3"), (3.14159, 2, "3.14"), (0.05, 2, "0.05"), (19.75, 1, "19.8"),
])
func byteFormattingFixed(_ value: Double, _ digits: Int, _ expected: String) {
    #expect(ByteFormatting.fixed(value, digits) == expected)
}
