import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// A file from the drop folder, open for reading, checked to be a plain file. All reading
/// goes through `fd`; the path is never opened again.
package final class EvidenceFile: Sendable {
    let relativePath: String
    package let fd: Int32
    package let size: Int64
    package let device: UInt64
    package let inode: UInt64
    package let modified: Int64  // nanoseconds since the epoch

    init(relativePath: String, fd: Int32, stat st: stat) {
        self.relativePath = relativePath
        self.fd = fd
        self.size = Int64(st.st_size)
        self.device = UInt64(st.st_dev)
        self.inode = UInt64(st.st_ino)
        self.modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    deinit { close(fd) }

    package var fileName: String { String(relativePath.split(separator: "/").last ?? "") }

    /// The first `count` bytes (fewer for a short file), for recognising the content.
    package func head(_ count: Int) throws(EvidenceError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + got, count - got, off_t(got))
            }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw EvidenceError(.system, "cannot read \(relativePath.debugQuoted)",
                                    cause: SystemCallError(operation: "read", path: relativePath, errno: errno))
            }
            got += n
        }
        return Array(buffer.prefix(got))
    }

    /// Is the file still the one we opened, unchanged? (Size and mtime through the descriptor.)
    package func isUnchanged() -> Bool {
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { return false }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        return Int64(st.st_size) == size && mtime == modified && st.st_nlink >= 1
    }
}

extension DropFolder {
    /// Opens the folder that holds `relativePath` from the drop folder's descriptor, every
    /// component with `O_NOFOLLOW|O_DIRECTORY`, so a folder swapped for a symlink is refused,
    /// never followed. Returns the folder's descriptor (the caller closes it) and the last name.
    func openParent(_ relativePath: String) throws(OpenFailure) -> (fd: Int32, name: String) {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw .rejected(Rejection(code: "not-a-regular-file", message: "The path \(relativePath.debugQuoted) is not a plain path inside the drop folder."))
        }
        var directory = dup(fd)
        guard directory >= 0 else { throw .system(SystemCallError(operation: "dup", path: path, errno: errno)) }
        for component in components.dropLast() {
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                let err = errno
                close(directory)
                if err == ELOOP || err == ENOTDIR {
                    throw .rejected(Rejection(code: "symlink", message: "The folder \(component.debugQuoted) on the way to this file is a shortcut (symbolic link), which is not followed for safety. Copy the real file into the drop folder instead."))
                }
                throw .system(SystemCallError(operation: "open folder", path: relativePath, errno: err))
            }
            close(directory)
            directory = next
        }
        return (directory, components.last!)
    }

    /// Opens `relativePath` safely: every folder with `O_NOFOLLOW|O_DIRECTORY`, the file with
    /// `O_NOFOLLOW|O_NONBLOCK` (a FIFO cannot block us), then `fstat` on the descriptor: a
    /// regular file with exactly one link. Anything else is a `Rejection` with the reason.
    package func openEvidence(_ relativePath: String) throws(OpenFailure) -> EvidenceFile {
        let (directory, name) = try openParent(relativePath)
        defer { close(directory) }

        var before = Glibc.stat()
        if fstatat(directory, name, &before, AT_SYMLINK_NOFOLLOW) != 0 {
            throw .system(SystemCallError(operation: "stat", path: relativePath, errno: errno))
        }
        if let rejection = Self.typeRejection(mode: before.st_mode, links: 1) {
            throw .rejected(rejection)  // never even open devices, FIFOs or sockets
        }
        let file = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if file < 0 {
            let err = errno
            if err == ELOOP {
                throw .rejected(Self.typeRejection(mode: S_IFLNK, links: 1)!)
            }
            if err == EACCES || err == EPERM {
                throw .rejected(Rejection(code: "unreadable", message: "The uploader is not allowed to read this file (\(String(cString: strerror(err)))). Ask the centre's IT staff to check its permissions, or copy it into the drop folder again."))
            }
            throw .system(SystemCallError(operation: "open", path: relativePath, errno: err))
        }
        var st = Glibc.stat()
        guard fstat(file, &st) == 0 else {
            let err = errno
            close(file)
            throw .system(SystemCallError(operation: "fstat", path: relativePath, errno: err))
        }
        if let rejection = Self.typeRejection(mode: st.st_mode, links: Int(st.st_nlink)) {
            close(file)
            throw .rejected(rejection)
        }
        if st.st_ino != before.st_ino || st.st_dev != before.st_dev {
            close(file)
            throw .system(SystemCallError(operation: "open (file replaced while opening)", path: relativePath, errno: EAGAIN))
        }
        // Back to blocking reads now we know it is a regular file.
        let flags = fcntl(file, F_GETFL)
        if flags >= 0 { _ = fcntl(file, F_SETFL, flags & ~O_NONBLOCK) }
        posix_fadvise(file, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        return EvidenceFile(relativePath: relativePath, fd: file, stat: st)
    }

    static func typeRejection(mode: mode_t, links: Int) -> Rejection? {
        switch mode & S_IFMT {
        case S_IFREG:
            if links > 1 {
                return Rejection(code: "hard-link", message: "This file has \(links) names (hard links), so it may also be somewhere outside the drop folder; it is not uploaded for safety. Copy the file into the drop folder instead of linking it.")
            }
            return nil
        case S_IFLNK:
            return Rejection(code: "symlink", message: "This is a shortcut (symbolic link), not a file. Shortcuts are not followed for safety. Copy the real file into the drop folder instead.")
        case S_IFIFO:
            return Rejection(code: "not-a-regular-file", message: "This is a pipe (FIFO), not a file, so there is nothing to upload.")
        case S_IFSOCK:
            return Rejection(code: "not-a-regular-file", message: "This is a network socket, not a file, so there is nothing to upload.")
        case S_IFCHR, S_IFBLK:
            return Rejection(code: "not-a-regular-file", message: "This is a device, not a file, so there is nothing to upload.")
        case S_IFDIR:
            return Rejection(code: "not-a-regular-file", message: "This is a folder, not a file.")
        default:
            return Rejection(code: "not-a-regular-file", message: "This is not a regular file, so there is nothing to upload.")
        }
    }
}

package enum OpenFailure: Error, Sendable {
    /// The thing at the path is not something we upload; tell the exams officer.
    case rejected(Rejection)
    /// The system refused (it vanished, permissions, I/O): tell the operator.
    case system(SystemCallError)
}

extension EvidenceFile: EvidenceBytes {
    /// `count` bytes from `offset` (fewer at the end of the file), read through the descriptor
    /// that was opened safely: the policy's byte checks never touch the path.
    package func read(at offset: Int64, count: Int) throws(EvidenceError) -> [UInt8] {
        guard offset >= 0, count > 0, offset < size else { return [] }
        let want = Int(min(Int64(count), size - offset))
        var buffer = [UInt8](repeating: 0, count: want)
        var got = 0
        while got < want {
            let n: Int
            do {
                n = try syscall("read", path: relativePath) {
                    buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, want - got, off_t(offset) + off_t(got)) }
                }
            } catch {
                throw EvidenceError(.system, "cannot read \(relativePath.debugQuoted)", cause: error)
            }
            if n == 0 { break }
            got += n
        }
        return got == want ? buffer : Array(buffer.prefix(got))
    }
}
