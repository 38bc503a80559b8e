/// Why a file is not uploaded: a stable kebab-case code for logs, status and tests, and a message in
/// plain English for the exams officer (it is written into `<file>.reason.txt`). The message says
/// what is wrong and what to do about it.
struct Rejection: Sendable, Equatable, Error {
    let code: String
    let message: String

    init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension Rejection: CustomStringConvertible {
    var description: String { "\(code): \(message)" }
}
