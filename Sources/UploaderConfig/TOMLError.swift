/// A syntax error in a TOML document, with the 1-based line it was found on.
struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    let line: Int
    let message: String

    init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    var description: String { "line \(line): \(message)" }
}
