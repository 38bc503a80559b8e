/// The one error type of the project: a stable code, a message a person can act on, and the cause.
///
/// Messages never contain secrets. `description` is what the command line prints.
public struct EvidenceError: Error, CustomStringConvertible, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let config = Code(rawValue: "config")
        public static let secret = Code(rawValue: "secret")
        public static let system = Code(rawValue: "system")
        public static let transfer = Code(rawValue: "transfer")
        public static let protocolViolation = Code(rawValue: "protocol")
        public static let journal = Code(rawValue: "journal")
        /// The state folder has no room: new work waits, nothing recorded is lost.
        public static let stateFull = Code(rawValue: "state-full")
        public static let usage = Code(rawValue: "usage")
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
