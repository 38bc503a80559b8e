import UploaderSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif

/// Small whole-file reads for the config and password files, through the syscall funnel.
enum FileBytes {
    /// Reads at most `limit` bytes from an already open descriptor.
    static func read(fd: Int32, path: String, limit: Int) throws(SystemCallError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = try syscall("read", path: path) {
                buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    static func read(path: String, limit: Int) throws(SystemCallError) -> [UInt8] {
        let fd = try syscall("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try read(fd: fd, path: path, limit: limit)
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
