/// The one error type of the project: a stable code, a message a person can act on, and the cause.
///
/// Messages never contain secrets. `description` is what the command line prints.
public struct EvidenceError: Error, CustomStringConvertible, Sendable {
    struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        let rawValue: String
        init(rawValue: String) { self.rawValue = rawValue }
        var description: String { rawValue }

        static let config = Code(rawValue: "config")
        static let secret = Code(rawValue: "secret")
        static let system = Code(rawValue: "system")
        static let transfer = Code(rawValue: "transfer")
        static let protocolViolation = Code(rawValue: "protocol")
        static let journal = Code(rawValue: "journal")
        /// The state folder has no room: new work waits, nothing recorded is lost.
        static let stateFull = Code(rawValue: "state-full")
        static let usage = Code(rawValue: "usage")
    }

    let code: Code
    let message: String
    let cause: (any Error & Sendable)?

    init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
