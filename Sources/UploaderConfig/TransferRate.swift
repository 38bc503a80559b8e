/// A bandwidth limit: "20Mbit/s", "100kbit/s", "1Gbit/s" (bits, powers of 1000) or
/// "2.5MB/s", "512KiB/s" (bytes, any size unit).
struct TransferRate: Sendable, Hashable, CustomStringConvertible {
    let bytesPerSecond: Int64

    init(bytesPerSecond: Int64) { self.bytesPerSecond = bytesPerSecond }

    static let bitUnits: [(name: String, multiplier: Int64)] = [
        ("bit/s", 1), ("kbit/s", 1_000), ("Mbit/s", 1_000_000), ("Gbit/s", 1_000_000_000), ("Tbit/s", 1_000_000_000_000),
    ]
    static let allowed = "a rate like \"20Mbit/s\" or \"2.5MB/s\"; units bit/s, kbit/s, Mbit/s, Gbit/s, Tbit/s or a size unit (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB) followed by /s"

    /// Bit rates are rounded down to whole bytes per second. Must be more than 0.
    static func parse(_ text: String) throws(ConfigValueError) -> TransferRate {
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty rate", allowed: allowed) }
        guard text.hasSuffix("/s") else {
            throw ConfigValueError(reason: "\(text.debugQuoted) is not a rate per second", allowed: allowed)
        }
        let rate: Int64
        if text.hasSuffix("bit/s") {
            guard case .success(let quantity) = DecimalQuantity.split(text) else {
                throw ConfigValueError(reason: "\(text.debugQuoted) is not a number followed by a unit", allowed: allowed)
            }
            guard let unit = bitUnits.first(where: { $0.name == quantity.unit }) else {
                throw ConfigValueError(reason: "unknown unit \(String(quantity.unit).debugQuoted)", allowed: allowed)
            }
            switch quantity.scaled(by: unit.multiplier) {
            case .success(let bits): rate = bits / 8
            case .failure(.overflow): throw ConfigValueError(reason: "\(text.debugQuoted) is too large", allowed: allowed)
            case .failure(.notWhole): throw ConfigValueError(reason: "\(text.debugQuoted) is not a whole number of bits", allowed: allowed)
            }
        } else {
            let size: ByteSize
            do {
                size = try ByteSize.parse(String(text.dropLast(2)))
            } catch {
                throw ConfigValueError(reason: error.reason, allowed: allowed)
            }
            rate = size.bytes
        }
        guard rate > 0 else {
            throw ConfigValueError(reason: "\(text.debugQuoted) is not more than 0 bytes per second", allowed: "a rate of at least 8bit/s or 1B/s")
        }
        return TransferRate(bytesPerSecond: rate)
    }

    /// Canonical text that parses back to the same value, e.g. "2.5MB/s".
    var description: String { ByteSize(bytes: bytesPerSecond).description + "/s" }
}
