/// Why a config value such as "2.5Gb" is not acceptable, and what is.
struct ConfigValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "unknown unit \"Gb\"; allowed: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"
    let message: String
    /// The problem alone: "unknown unit \"Gb\"".
    let reason: String
    /// What would have been accepted: "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB".
    let allowed: String

    init(reason: String, allowed: String) {
        self.reason = reason
        self.allowed = allowed
        self.message = "\(reason); allowed: \(allowed)"
    }

    var description: String { message }
}
