/// Sizes and rates in the words people read: powers of 1000, as file managers and the
/// awarding bodies' own rules ("2.5 GB", "150 MB") write them.
package enum ByteFormatting {
    /// "0 bytes", "999 bytes", "20.0 MB", "2.61 GB": three significant figures above 1 kB.
    package static func human(_ bytes: Int64) -> String {
        if bytes < 1000 { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        let units = ["kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        value /= 1000
        while value >= 999.5 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let digits = value >= 99.95 ? 0 : (value >= 9.995 ? 1 : 2)
        return "\(fixed(value, digits)) \(units[unit])"
    }

    /// A rate in bits per second, as broadband is sold: "19.8 Mbit/s".
    package static func rate(bytesPerSecond: Double) -> String {
        var bits = bytesPerSecond * 8
        let units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"]
        var unit = 0
        while bits >= 999.5 && unit < units.count - 1 {
            bits /= 1000
            unit += 1
        }
        return "\(fixed(bits, unit == 0 ? 0 : 1)) \(units[unit])"
    }

    /// Fixed-point rendering without Foundation's locale-dependent formatters.
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int64(scaled / scale)
        guard digits > 0 else { return String(whole) }
        let frac = Int64(scaled) - whole * Int64(scale)
        var fracText = String(frac)
        while fracText.count < digits { fracText = "0" + fracText }
        return "\(whole).\(fracText)"
    }
}
