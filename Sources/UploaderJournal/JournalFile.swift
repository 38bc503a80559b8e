import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The journal file on disk: open or create (fsyncing the directory), read, append, sync,
/// truncate, replace atomically. Not locked itself: it is only ever used under
/// `Journal`'s mutex, which serialises every call (hence `@unchecked Sendable`).
final class JournalFile: @unchecked Sendable {
    static let fileName = "journal"

    let directory: String
    let path: String
    private(set) var fd: Int32
    /// The end of the last whole record: appends go here, a failed append is cut back to it.
    private(set) var end: Int64
    /// Set once a sync failed: from then on nothing written can be trusted.
    private(set) var poisoned: EvidenceError?
    var fault: JournalFault?

    private init(directory: String, path: String, fd: Int32, end: Int64) {
        self.directory = directory
        self.path = path
        self.fd = fd
        self.end = end
    }

    deinit { Glibc.close(fd) }

    static func path(in directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// Opens the journal, creating it (header, fsync, directory fsync) if it does not exist, and
    /// returns it with its whole contents.
    static func open(directory: String) throws(EvidenceError) -> (JournalFile, [UInt8]) {
        let path = path(in: directory)
        do throws(SystemCallError) {
            if Glibc.access(directory, F_OK) != 0 {
                try syscall("create the state folder", path: directory) { mkdir(directory, 0o700) }
                fsyncDirectory(parent(of: directory))
            }
            removeStaleTemporaries(in: directory)
            var fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
            if fd < 0 && errno == ENOENT {
                fd = try syscall("create", path: path) { Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
                let file = JournalFile(directory: directory, path: path, fd: fd, end: 0)
                try file.writeAll(JournalFrame.header, at: 0)
                try syscall("fsync", path: path) { fsync(fd) }
                try syscallDirectoryFsync(directory)
                file.end = Int64(JournalFrame.headerSize)
                return (file, JournalFrame.header)
            }
            if fd < 0 { throw SystemCallError(operation: "open", path: path, errno: errno) }
            let file = JournalFile(directory: directory, path: path, fd: fd, end: 0)
            let bytes = try readAll(fd: fd, path: path)
            file.end = Int64(bytes.count)
            return (file, bytes)
        } catch {
            throw EvidenceError(.journal, "cannot open the journal \(path.debugQuoted)", cause: error)
        }
    }

    /// Reads a journal without changing anything (for `journal verify|dump`).
    static func readOnly(directory: String) throws(EvidenceError) -> [UInt8] {
        let path = path(in: directory)
        do throws(SystemCallError) {
            let fd = try syscall("open", path: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
            defer { Glibc.close(fd) }
            return try readAll(fd: fd, path: path)
        } catch {
            throw EvidenceError(.journal, "cannot read the journal \(path.debugQuoted)", cause: error)
        }
    }

    static func readAll(fd: Int32, path: String) throws(SystemCallError) -> [UInt8] {
        var info = stat()
        try syscall("fstat", path: path) { fstat(fd, &info) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = try syscall("read", path: path) {
                bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            }
            if n == 0 { bytes.removeLast(bytes.count - done); break }
            done += n
        }
        return bytes
    }

    private func writeAll(_ bytes: [UInt8], at offset: Int64) throws(SystemCallError) {
        var limit = bytes.count
        var injected: Int32?
        if let fault, fault.kind == .write {
            self.fault = nil
            limit = min(bytes.count, max(0, fault.bytesBeforeFailure))
            injected = fault.errno
        }
        var written = 0
        while written < limit {
            let n = try syscall("write", path: path) {
                bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + written, limit - written, off_t(offset) + off_t(written)) }
            }
            written += n
        }
        if let injected { throw SystemCallError(operation: "write", path: path, errno: injected) }
    }

    func poison(_ cause: SystemCallError) -> EvidenceError {
        let error = EvidenceError(.journal,
            "syncing the journal \(path.debugQuoted) failed, so what it holds can no longer be trusted; "
            + "the process must stop now (the service manager restarts it and the journal is replayed)", cause: cause)
        poisoned = error
        return error
    }

    /// Appends one frame, not yet synced (`Journal` decides when: see `syncPlan()`). A failed
    /// write is cut back so the file ends with a whole record.
    func write(_ frame: [UInt8]) throws(EvidenceError) {
        if let poisoned { throw poisoned }
        do throws(SystemCallError) {
            try writeAll(frame, at: end)
        } catch {
            if ftruncate(fd, off_t(end)) != 0 {
                throw poison(SystemCallError(operation: "truncate after a failed write", path: path, errno: errno))
            }
            if error.errno == ENOSPC || error.errno == EDQUOT {
                throw EvidenceError(.stateFull,
                    "the state folder \(directory.debugQuoted) is full: no new work can start until space is freed "
                    + "(everything already recorded is intact)", cause: error)
            }
            throw EvidenceError(.journal, "cannot write to the journal \(path.debugQuoted)", cause: error)
        }
        end += Int64(frame.count)
    }

    /// What a sync of everything written so far needs: the descriptor, and an injected failure
    /// (taken: it fires once). The `fdatasync` itself runs with no lock held (`dataSync`), so other
    /// threads may write meanwhile; a sync is never retried: on failure the journal is poisoned.
    func syncPlan() throws(EvidenceError) -> (fd: Int32, path: String, fault: JournalFault?) {
        if let poisoned { throw poisoned }
        let plan = (fd, path, fault?.kind == .sync ? fault : nil)
        if plan.2 != nil { fault = nil }
        return plan
    }

    static func dataSync(_ plan: (fd: Int32, path: String, fault: JournalFault?)) throws(SystemCallError) {
        if let fault = plan.fault {
            throw SystemCallError(operation: "fdatasync", path: plan.path, errno: fault.errno)
        }
        try syscall("fdatasync", path: plan.path) { fdatasync(plan.fd) }
    }

    /// Cuts the file at `offset` (a torn tail) and syncs it.
    func truncate(to offset: Int64) throws(EvidenceError) {
        do throws(SystemCallError) {
            try syscall("truncate", path: path) { ftruncate(fd, off_t(offset)) }
            try syscall("fsync", path: path) { fsync(fd) }
            end = offset
        } catch {
            throw poison(error)
        }
    }

    /// Replaces the whole file: write temp, fsync, rename, fsync the directory; then reopens it.
    func replace(with image: [UInt8]) throws(EvidenceError) {
        if let poisoned { throw poisoned }
        do throws(SystemCallError) {
            try AtomicFile.write(image, to: path, mode: 0o600)
        } catch {
            if error.errno == ENOSPC || error.errno == EDQUOT {
                throw EvidenceError(.stateFull, "the state folder \(directory.debugQuoted) is full: cannot rewrite the journal (the old one is intact)", cause: error)
            }
            throw EvidenceError(.journal, "cannot rewrite the journal \(path.debugQuoted) (the old one is intact)", cause: error)
        }
        let newFD = Glibc.open(path, O_RDWR | O_CLOEXEC)
        if newFD < 0 {
            throw poison(SystemCallError(operation: "reopen after rewriting", path: path, errno: errno))
        }
        Glibc.close(fd)
        fd = newFD
        end = Int64(image.count)
    }

    /// Keeps a copy of a damaged journal as `journal.corrupt-<unix time>` and returns its path.
    func keepCorruptCopy(_ bytes: [UInt8]) throws(EvidenceError) -> String {
        let stamp = time(nil)
        var copy = path + ".corrupt-\(stamp)"
        var n = 1
        while Glibc.access(copy, F_OK) == 0 {
            n += 1
            copy = path + ".corrupt-\(stamp)-\(n)"
        }
        do throws(SystemCallError) {
            try AtomicFile.write(bytes, to: copy, mode: 0o600)
        } catch {
            throw EvidenceError(.journal, "the journal is damaged and a copy of it could not be kept at \(copy.debugQuoted)", cause: error)
        }
        return copy
    }

    private static func parent(of directory: String) -> String {
        var parts = directory.split(separator: "/", omittingEmptySubsequences: false)
        while parts.count > 1 && parts.last == "" { parts.removeLast() }
        parts.removeLast()
        let joined = parts.joined(separator: "/")
        return joined.isEmpty ? (directory.hasPrefix("/") ? "/" : ".") : joined
    }

    private static func fsyncDirectory(_ directory: String) {
        try? syscallDirectoryFsync(directory)
    }

    private static func syscallDirectoryFsync(_ directory: String) throws(SystemCallError) {
        let dirFD = try syscall("open", path: directory) { Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { Glibc.close(dirFD) }
        try syscall("fsync", path: directory) { fsync(dirFD) }
    }

    /// Removes the temporary files (`AtomicFile`'s `.evu-*.tmp`) that a compaction or status
    /// write killed before its rename left in the state folder.
    private static func removeStaleTemporaries(in directory: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".evu-") && name.hasSuffix(".tmp") { unlink(path(in: directory).dropLast(fileName.count) + name) }
        }
    }
}
