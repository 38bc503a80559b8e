/// Durations as the config writes them: "10s", "250ms", "5m", "1h", "1.5s", "0s".
package enum DurationText {
    static let units: [(name: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]
    static let allowed = "a duration like \"10s\", \"250ms\", \"5m\" or \"1.5h\"; units ms, s, m, h"

    /// Non-negative; decimals allowed down to whole nanoseconds.
    static func parse(_ text: String) throws(ConfigValueError) -> Duration {
        let quantity: DecimalQuantity
        switch DecimalQuantity.split(text) {
        case .success(let q): quantity = q
        case .failure(.empty): throw ConfigValueError(reason: "empty duration", allowed: allowed)
        case .failure(.negative): throw ConfigValueError(reason: "negative duration \(text.debugQuoted)", allowed: allowed)
        case .failure(.notANumber): throw ConfigValueError(reason: "\(text.debugQuoted) is not a number followed by a unit", allowed: allowed)
        case .failure(.tooPrecise): throw ConfigValueError(reason: "too many decimal places in \(text.debugQuoted)", allowed: allowed)
        case .failure(.overflow): throw ConfigValueError(reason: "\(text.debugQuoted) is too long", allowed: allowed)
        }
        guard !quantity.unit.isEmpty else {
            throw ConfigValueError(reason: "missing unit in \(text.debugQuoted)", allowed: "ms, s, m, h")
        }
        guard let unit = units.first(where: { $0.name == quantity.unit }) else {
            throw ConfigValueError(reason: "unknown unit \(String(quantity.unit).debugQuoted)", allowed: "ms, s, m, h")
        }
        switch quantity.scaled(by: unit.nanoseconds) {
        case .success(let ns): return .nanoseconds(ns)
        case .failure(.overflow): throw ConfigValueError(reason: "\(text.debugQuoted) is too long", allowed: "at most 2562047h")
        case .failure(.notWhole): throw ConfigValueError(reason: "\(text.debugQuoted) is finer than a nanosecond", allowed: allowed)
        }
    }

    /// Canonical text that parses back to the same duration (to the nanosecond).
    package static func format(_ d: Duration) -> String {
        if d < .zero { return "-" + format(.zero - d) }
        let (seconds, attoseconds) = d.components
        let (secondsNs, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (ns, o2) = secondsNs.addingReportingOverflow(attoseconds / 1_000_000_000)
        if o1 || o2 { return "\(seconds)s" }
        if ns == 0 { return "0s" }
        if ns % 3_600_000_000_000 == 0 { return "\(ns / 3_600_000_000_000)h" }
        if ns % 60_000_000_000 == 0 { return "\(ns / 60_000_000_000)m" }
        let inSeconds = (DecimalQuantity.format(ns, unit: 1_000_000_000) ?? "\(seconds)") + "s"
        guard let millis = DecimalQuantity.format(ns, unit: 1_000_000) else { return inSeconds }
        let inMillis = millis + "ms"
        if inMillis.count < inSeconds.count { return inMillis }
        if inMillis.count == inSeconds.count && !inMillis.contains(".") { return inMillis }
        return inSeconds
    }
}
