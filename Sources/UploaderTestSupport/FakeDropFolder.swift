#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Synchronization
@testable import UploaderCore
@testable import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// A drop folder in memory. Opening a file gives a real descriptor (an unlinked temporary file
/// with its bytes), so hashing and uploading read it as they read evidence; its identity (device,
/// inode, mtime) is the fake's. `change(_:)` makes every open descriptor of a file report that
/// it changed.
final class FakeDropFolder: EvidenceSource {
    struct File: Sendable {
        var bytes: [UInt8]
        var device: UInt64
        var inode: UInt64
        var modified: Int64
        var changed = false
        /// Another process still has it open for writing.
        var beingWritten = false
    }

    private let files = Mutex([String: File]())
    private let refusals = Mutex([String: Rejection]())

    init() {}

    func add(_ relativePath: String, bytes: [UInt8], inode: UInt64, device: UInt64 = 1, modified: Int64 = 1_700_000_000_000_000_000) {
        files.withLock { $0[relativePath] = File(bytes: bytes, device: device, inode: inode, modified: modified) }
    }

    func remove(_ relativePath: String) { _ = files.withLock { $0.removeValue(forKey: relativePath) } }

    /// The file changed in place (size or mtime): open descriptors of it see that.
    func change(_ relativePath: String) { files.withLock { $0[relativePath]?.changed = true } }

    /// Another process holds the file open for writing (or no longer does).
    func beingWritten(_ relativePath: String, _ writing: Bool = true) {
        files.withLock { $0[relativePath]?.beingWritten = writing }
    }

    /// The next open of this path is refused as unsafe, with this rejection (a symlink, a FIFO...).
    func refuse(_ relativePath: String, _ rejection: Rejection) { refusals.withLock { $0[relativePath] = rejection } }

    func file(_ relativePath: String) -> File? { files.withLock { $0[relativePath] } }

    var paths: [String] { files.withLock { $0.keys.sorted() } }

    func openEvidence(_ relativePath: String) throws(OpenFailure) -> FakeEvidence {
        if let rejection = refusals.withLock({ $0.removeValue(forKey: relativePath) }) { throw .rejected(rejection) }
        guard let file = file(relativePath) else {
            throw .system(SystemCallError(operation: "stat", path: relativePath, errno: ENOENT))
        }
        var template = Array("/tmp/evu-fake-evidence-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system(SystemCallError(operation: "mkstemp", path: relativePath, errno: errno)) }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        var written = 0
        while written < file.bytes.count {
            let n = file.bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, file.bytes.count - written) }
            guard n > 0 else { close(fd); throw .system(SystemCallError(operation: "write", path: relativePath, errno: errno)) }
            written += n
        }
        return FakeEvidence(folder: self, relativePath: relativePath, fd: fd, file: file)
    }

    func stat(_ relativePath: String) -> DropFolder.Entry? {
        file(relativePath).map {
            DropFolder.Entry(path: relativePath, size: Int64($0.bytes.count), modified: $0.modified, device: $0.device, inode: $0.inode)
        }
    }
}

/// A file of the fake drop folder, open.
final class FakeEvidence: OpenedEvidence {
    let folder: FakeDropFolder
    let relativePath: String
    let fd: Int32
    let size: Int64
    let device: UInt64
    let inode: UInt64
    let modified: Int64

    init(folder: FakeDropFolder, relativePath: String, fd: Int32, file: FakeDropFolder.File) {
        self.folder = folder
        self.relativePath = relativePath
        self.fd = fd
        size = Int64(file.bytes.count)
        device = file.device
        inode = file.inode
        modified = file.modified
    }

    deinit { close(fd) }

    var fileName: String { String(relativePath.split(separator: "/").last ?? "") }

    func isUnchanged() -> Bool { !(folder.file(relativePath)?.changed ?? false) }

    func isOpenForWritingElsewhere() -> Bool { folder.file(relativePath)?.beingWritten ?? false }

    func head(_ count: Int) throws(EvidenceError) -> [UInt8] { try read(at: 0, count: count) }

    func read(at offset: Int64, count: Int) throws(EvidenceError) -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: Int(min(Int64(count), size - offset)))
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
        guard n >= 0 else { throw EvidenceError(.system, "cannot read \(relativePath)") }
        return Array(buffer.prefix(n))
    }
}
#endif
