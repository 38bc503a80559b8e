/// Why a file is not uploaded: a stable kebab-case code for logs, status and tests, and a message in
/// plain English for the exams officer (it is written into `<file>.reason.txt`). The message says
/// what is wrong and what to do about it.
public struct Rejection: Sendable, Equatable, Error {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension Rejection: CustomStringConvertible {
    public var description: String { "\(code): \(message)" }
}
