#if canImport(Glibc)
import Glibc
#endif

/// The drop folder, held open by its directory descriptor. Everything inside it is reached
/// from that descriptor with `openat(O_NOFOLLOW)` one path component at a time, so no symlink
/// (planted or swapped in) can lead outside it.
public final class DropFolder: @unchecked Sendable {
    public let path: String
    let fd: Int32
    private let device: UInt64

    /// Names that are never evidence: partial copies and the litter desktops leave behind.
    static func isIgnored(name: String) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("~$") || name == "Thumbs.db" || name == "desktop.ini"
            || name.hasSuffix(".part") || name.hasSuffix(".crdownload") || name.hasSuffix(".tmp")
    }

    public init(path: String) throws(EvidenceError) {
        self.path = path
        do {
            let opened = try syscall("open drop folder", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            var st = stat()
            try syscall("stat drop folder", path: path) { fstat(opened, &st) }
            fd = opened
            device = UInt64(st.st_dev)
        } catch {
            throw EvidenceError(.system, "cannot open the drop folder", cause: error)
        }
    }

    deinit { close(fd) }

    /// Every file under the drop folder (relative paths, sorted), skipping ignored names, the
    /// manifest, and directories on another file system or reached through a symlink.
    /// Unreadable folders are reported, not fatal.
    public func scan(manifestName: String?) -> (files: [String], problems: [String]) {
        var files: [String] = []
        var problems: [String] = []
        walk(directoryFD: fd, prefix: "", files: &files, problems: &problems, depth: 0)
        if let manifestName, !manifestName.isEmpty {
            files.removeAll { $0 == manifestName }
        }
        return (files.sorted(), problems)
    }

    private func walk(directoryFD: Int32, prefix: String, files: inout [String], problems: inout [String], depth: Int) {
        guard depth < 32 else {
            problems.append("\(prefix.debugQuoted) is nested more than 32 folders deep; not looked into")
            return
        }
        let dupFD = dup(directoryFD)
        guard dupFD >= 0, let dir = fdopendir(dupFD) else {
            if dupFD >= 0 { close(dupFD) }
            problems.append("cannot list \(prefix.isEmpty ? "the drop folder" : prefix.debugQuoted): \(String(cString: strerror(errno)))")
            return
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        for (name, type) in entries where !Self.isIgnored(name: name) {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var isDirectory = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) {
                var st = stat()
                if fstatat(directoryFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                }
            }
            if isDirectory {
                let child = openat(directoryFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else {
                    problems.append("cannot open folder \(relative.debugQuoted): \(String(cString: strerror(errno)))")
                    continue
                }
                defer { close(child) }
                var st = stat()
                if fstat(child, &st) == 0, UInt64(st.st_dev) != device {
                    problems.append("folder \(relative.debugQuoted) is on another file system; not looked into")
                    continue
                }
                walk(directoryFD: child, prefix: relative, files: &files, problems: &problems, depth: depth + 1)
            } else {
                files.append(relative)
            }
        }
    }
}
