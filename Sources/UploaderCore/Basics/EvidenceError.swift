/// The one error type of the project: a stable code, a message a person can act on, and the cause.
///
/// Messages never contain secrets. `description` is what the command line prints.
public struct EvidenceError: Error, CustomStringConvertible, Sendable {
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        package static let config = Code(rawValue: "config")
        package static let secret = Code(rawValue: "secret")
        package static let system = Code(rawValue: "system")
        package static let transfer = Code(rawValue: "transfer")
        static let protocolViolation = Code(rawValue: "protocol")
        package static let journal = Code(rawValue: "journal")
        /// The state folder has no room: new work waits, nothing recorded is lost.
        package static let stateFull = Code(rawValue: "state-full")
        static let usage = Code(rawValue: "usage")
    }

    package let code: Code
    package let message: String
    package let cause: (any Error & Sendable)?

    package init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
