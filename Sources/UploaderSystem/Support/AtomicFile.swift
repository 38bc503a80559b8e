import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Replace-by-rename: write a temporary file beside the target, fsync it, rename it over the
/// target, fsync the directory. A crash leaves the old file or the new one, never half of one.
package enum AtomicFile {
    private static let counter = Atomic<Int>(0)

    /// Which fsyncs a write makes.
    package enum Durability {
        /// The file, then its folder: it survives a power cut once `write` returns.
        case durable
        /// The file only: the caller fsyncs the folder after a later rename in it (a note
        /// written just before the file it describes is moved beside it), so one folder sync
        /// serves both.
        case contentsOnly
        /// None, for files rewritten every second anyway (the status file): still never
        /// half-written, but may be lost by a power cut.
        case volatile
    }

    package static func write(_ bytes: [UInt8], to path: String, mode: mode_t, durability: Durability = .durable) throws(SystemCallError) {
        try write(to: path, mode: mode, durability: durability) { (writer: Writer) throws(SystemCallError) in
            try writer.write(bytes)
        }
    }

    /// Where `write(to:mode:durability:_:)`'s body puts the new contents, piece by piece.
    package struct Writer {
        let fd: Int32
        let path: String

        package func write(_ bytes: [UInt8]) throws(SystemCallError) {
            var written = 0
            while written < bytes.count {
                let n = try syscall("write", path: path) {
                    bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
                }
                written += n
            }
        }
    }

    /// The same, with the contents written by `body` in pieces (a large file need not be held in
    /// memory whole).
    package static func write(to path: String, mode: mode_t, durability: Durability = .durable,
                      _ body: (Writer) throws(SystemCallError) -> Void) throws(SystemCallError) {
        // A short temporary name: the target's own name may already be near the 255-byte limit.
        let dirPath = folder(of: path)
        let temporary = dirPath + "/.evu-\(getpid())-\(counter.wrappingAdd(1, ordering: .relaxed).oldValue).tmp"
        let fd = try syscall("create", path: temporary) { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        var isOpen = true
        do throws(SystemCallError) {
            try body(Writer(fd: fd, path: temporary))
            if durability != .volatile { try syscall("fsync", path: temporary) { fsync(fd) } }
            close(fd)
            isOpen = false
            try syscall("rename", path: path) { rename(temporary, path) }
        } catch {
            // Closed once only: by now another thread may own a descriptor with the same number.
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
        guard durability == .durable else { return }
        let dirFD = try syscall("open folder", path: dirPath) { open(dirPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dirFD) }
        try syscall("fsync folder", path: dirPath) { fsync(dirFD) }
    }

    /// A small file's whole text (at most `limit` bytes), for files written with `write`.
    package static func read(_ path: String, limit: Int = 64 << 10) throws(SystemCallError) -> String {
        let fd = try syscall("open", path: path) { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let got = try syscall("read", path: path) {
                bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, limit - count) }
            }
            if got == 0 { break }
            count += got
        }
        return String(decoding: bytes.prefix(count), as: UTF8.self)
    }

    /// The folder a path is in: "." for a bare name, "/" for a name at the root.
    package static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
