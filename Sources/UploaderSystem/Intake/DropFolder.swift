import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// The drop folder, held open by its directory descriptor. Everything inside it is reached
/// from that descriptor with `openat(O_NOFOLLOW)` one path component at a time, so no symlink
/// (planted or swapped in) can lead outside it.
package final class DropFolder: Sendable {
    let path: String
    let fd: Int32
    let device: UInt64
    let inode: UInt64

    /// Names that are never evidence: partial copies and the litter desktops leave behind.
    package static func isIgnored(name: String) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("~$") || name == "Thumbs.db" || name == "desktop.ini"
            || name.hasSuffix(".part") || name.hasSuffix(".crdownload") || name.hasSuffix(".tmp")
    }

    package init(path: String) throws(EvidenceError) {
        self.path = path
        do {
            let opened = try syscall("open drop folder", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            var st = Glibc.stat()
            try syscall("stat drop folder", path: path) { fstat(opened, &st) }
            fd = opened
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        } catch {
            throw EvidenceError(.system, "cannot open the drop folder", cause: error)
        }
    }

    deinit { close(fd) }

    /// Is `path` still this folder? False when it was removed, or removed and made again (the
    /// descriptor would then read a deleted folder for ever).
    package func isStillAtItsPath() -> Bool {
        var st = Glibc.stat()
        guard fstatat(AT_FDCWD, path, &st, 0) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    package struct Entry: Sendable, Equatable {
        package var path: String
        package var size: Int64
        package var modified: Int64
        package var device: UInt64 = 0
        package var inode: UInt64 = 0
    }

    /// A file whose name is not valid UTF-8: its folder, its raw name, and a readable path.
    package struct UnreadableName: Sendable, Equatable {
        var folder: String
        package var rawName: [UInt8]
        /// The path with the bad bytes shown as U+FFFD, for messages and rejected/.
        package var readablePath: String {
            let name = String(decoding: rawName, as: UTF8.self)
            return folder.isEmpty ? name : folder + "/" + name
        }
    }

    package struct Scan: Sendable {
        /// Files (and anything that is not a folder), sorted by path.
        package var files: [Entry] = []
        /// Folders below the root, relative.
        package var folders: [String] = []
        /// Files whose names are not valid UTF-8.
        package var unreadableNames: [UnreadableName] = []
        /// Folders that could not be read, and why.
        package var problems: [String] = []
    }

    /// Every file under the drop folder, skipping ignored names, the manifest, and folders on
    /// another file system or reached through a symlink. Unreadable folders are reported, not fatal.
    func scan(manifestName: String?) -> Scan {
        scan(ignoring: manifestName.map { [$0] } ?? [])
    }

    /// The same, leaving out these paths (every destination's manifest, the status page).
    package func scan(ignoring paths: [String]) -> Scan {
        var result = Scan()
        walk(directoryFD: fd, prefix: "", into: &result, depth: 0)
        let ignored = Set(paths.filter { !$0.isEmpty })
        if !ignored.isEmpty {
            result.files.removeAll { ignored.contains($0.path) }
        }
        result.files.sort { $0.path < $1.path }
        return result
    }

    /// Size and mtime of one file, reached safely (no symlink followed); nil when it is gone.
    package func stat(_ relativePath: String) -> Entry? {
        guard let (directory, name) = try? openParent(relativePath) else { return nil }
        defer { close(directory) }
        var st = Glibc.stat()
        guard fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) != S_IFDIR else { return nil }
        return Entry(path: relativePath, size: Int64(st.st_size), modified: Self.nanoseconds(st.st_mtim),
                     device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    static func nanoseconds(_ t: timespec) -> Int64 {
        Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    private func walk(directoryFD: Int32, prefix: String, into result: inout Scan, depth: Int) {
        guard depth < 32 else {
            result.problems.append("\(prefix.debugQuoted) is nested more than 32 folders deep; not looked into")
            return
        }
        let dupFD = dup(directoryFD)
        guard dupFD >= 0, let dir = fdopendir(dupFD) else {
            if dupFD >= 0 { close(dupFD) }
            result.problems.append("cannot list \(prefix.isEmpty ? "the drop folder" : prefix.debugQuoted): \(String(cString: strerror(errno)))")
            return
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            guard let name = String(validating: raw, as: UTF8.self) else {
                if entry.pointee.d_type == UInt8(DT_DIR) {
                    result.problems.append("a folder in \(prefix.isEmpty ? "the drop folder" : prefix.debugQuoted) has a name that is not valid text (\(String(decoding: raw, as: UTF8.self).debugQuoted)); not looked into: rename it")
                } else {
                    result.unreadableNames.append(UnreadableName(folder: prefix, rawName: raw))
                }
                continue
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        for (name, type) in entries where !Self.isIgnored(name: name) {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var isDirectory = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) {
                var st = Glibc.stat()
                if fstatat(directoryFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
                }
            }
            if isDirectory {
                let child = openat(directoryFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else {
                    result.problems.append("cannot open folder \(relative.debugQuoted): \(String(cString: strerror(errno)))")
                    continue
                }
                defer { close(child) }
                var st = Glibc.stat()
                if fstat(child, &st) == 0, UInt64(st.st_dev) != device {
                    result.problems.append("folder \(relative.debugQuoted) is on another file system; not looked into")
                    continue
                }
                result.folders.append(relative)
                walk(directoryFD: child, prefix: relative, into: &result, depth: depth + 1)
            } else {
                var st = Glibc.stat()
                if fstatat(directoryFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    result.files.append(Entry(path: relative, size: Int64(st.st_size), modified: Self.nanoseconds(st.st_mtim),
                                             device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
                }
            }
        }
    }
}
