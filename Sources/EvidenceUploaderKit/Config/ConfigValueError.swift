/// Why a config value such as "2.5Gb" is not acceptable, and what is.
public struct ConfigValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "unknown unit \"Gb\"; allowed: B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"
    public let message: String
    /// The problem alone: "unknown unit \"Gb\"".
    public let reason: String
    /// What would have been accepted: "B, kB, MB, GB, TB, KiB, MiB, GiB, TiB".
    public let allowed: String

    public init(reason: String, allowed: String) {
        self.reason = reason
        self.allowed = allowed
        self.message = "\(reason); allowed: \(allowed)"
    }

    public var description: String { message }
}
