/// Why a file is not uploaded: a stable kebab-case code for logs, status and tests, and a message in
/// plain English for the exams officer (it is written into `<file>.reason.txt`). The message says
/// what is wrong and what to do about it.
package struct Rejection: Sendable, Equatable, Error {
    package let code: String
    package let message: String

    package init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension Rejection: CustomStringConvertible {
    package var description: String { "\(code): \(message)" }
}
