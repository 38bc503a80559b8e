#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the operation, the path it was about (if any) and `errno`, read at once.
struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    let operation: String
    let path: String?
    let errno: Int32

    init(operation: String, path: String?, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    var reason: String { String(cString: strerror(errno)) }

    var description: String {
        if let path { return "\(operation) \(path.debugQuoted): \(reason)" }
        return "\(operation): \(reason)"
    }
}

/// The syscall funnel: every blocking system call goes through here. It retries `EINTR`,
/// reads `errno` straight after the failing call, and throws a typed error naming the
/// operation and the path.
@discardableResult
@inline(__always)
func syscall<T: BinaryInteger>(
    _ operation: String, path: String? = nil, _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let err = errno
        if err == EINTR { continue }
        throw SystemCallError(operation: operation, path: path, errno: err)
    }
}

extension String {
    /// A path or name quoted for a log line or message, with control characters escaped so a
    /// hostile file name cannot forge lines.
    var debugQuoted: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || (0x80...0x9f).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
