/// A size in bytes as the config writes it: "2.5GB", "150MB", "8MiB".
package struct ByteSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let bytes: Int64

    init(bytes: Int64) { self.bytes = bytes }

    package static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }

    /// Units and their multipliers, largest first within each family.
    static let units: [(name: String, multiplier: Int64)] = [
        ("TB", 1_000_000_000_000), ("TiB", 1 << 40),
        ("GB", 1_000_000_000), ("GiB", 1 << 30),
        ("MB", 1_000_000), ("MiB", 1 << 20),
        ("kB", 1_000), ("KiB", 1 << 10),
        ("B", 1),
    ]

    static let allowedUnits = "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"
    static let allowed = "a size like \"2.5GB\", \"150MB\" or \"8MiB\"; units \(allowedUnits)"

    /// "2.5GB", "150MB", "8MiB", "512kB", "100B", "0B"; units B, kB, MB, GB, TB (powers of 1000),
    /// KiB, MiB, GiB, TiB (1024). Case-sensitive units, optional single space before the unit,
    /// decimals allowed when the result is a whole number of bytes.
    static func parse(_ text: String) throws(ConfigValueError) -> ByteSize {
        let quantity: DecimalQuantity
        switch DecimalQuantity.split(text) {
        case .success(let q): quantity = q
        case .failure(.empty): throw ConfigValueError(reason: "empty size", allowed: allowed)
        case .failure(.negative): throw ConfigValueError(reason: "negative size \(text.debugQuoted)", allowed: allowed)
        case .failure(.notANumber): throw ConfigValueError(reason: "\(text.debugQuoted) is not a number followed by a unit", allowed: allowed)
        case .failure(.tooPrecise): throw ConfigValueError(reason: "too many decimal places in \(text.debugQuoted)", allowed: allowed)
        case .failure(.overflow): throw ConfigValueError(reason: "\(text.debugQuoted) is too large", allowed: "at most \(ByteSize(bytes: .max))")
        }
        guard !quantity.unit.isEmpty else {
            throw ConfigValueError(reason: "missing unit in \(text.debugQuoted)", allowed: allowedUnits)
        }
        guard let unit = units.first(where: { $0.name == quantity.unit }) else {
            throw ConfigValueError(reason: "unknown unit \(String(quantity.unit).debugQuoted)", allowed: allowedUnits)
        }
        switch quantity.scaled(by: unit.multiplier) {
        case .success(let bytes): return ByteSize(bytes: bytes)
        case .failure(.overflow):
            throw ConfigValueError(reason: "\(text.debugQuoted) is too large", allowed: "at most \(ByteSize(bytes: .max))")
        case .failure(.notWhole):
            throw ConfigValueError(reason: "\(text.debugQuoted) is not a whole number of bytes", allowed: allowed)
        }
    }

    /// The shortest exact text that parses back to the same value; whole numbers preferred.
    package var description: String {
        guard bytes > 0 else { return "\(bytes)B" }
        var best = "\(bytes)B"
        for unit in ByteSize.units where unit.multiplier > 1 && bytes >= unit.multiplier {
            guard let number = DecimalQuantity.format(bytes, unit: unit.multiplier) else { continue }
            let candidate = number + unit.name
            let shorter = candidate.count < best.count
            let tieButWhole = candidate.count == best.count && best.contains(".") && !candidate.contains(".")
            if shorter || tieButWhole { best = candidate }
        }
        return best
    }
}
