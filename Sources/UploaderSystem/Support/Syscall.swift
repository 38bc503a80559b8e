#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: the operation, the path it was about (if any) and `errno`, read at once.
package struct SystemCallError: Error, CustomStringConvertible, Sendable, Equatable {
    package let operation: String
    package let path: String?
    package let errno: Int32

    package init(operation: String, path: String?, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    package var reason: String { String(cString: strerror(errno)) }

    package var description: String {
        if let path { return "\(operation) \(path.debugQuoted): \(reason)" }
        return "\(operation): \(reason)"
    }
}

/// The syscall funnel: every blocking system call goes through here. It retries `EINTR`,
/// reads `errno` straight after the failing call, and throws a typed error naming the
/// operation and the path.
@discardableResult
@inline(__always)
package func syscall<T: BinaryInteger>(
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
