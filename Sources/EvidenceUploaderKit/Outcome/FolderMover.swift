import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// Moves a finished file out of the drop folder into `uploaded/` or `rejected/` under the
/// same relative path, and writes the note beside it. Never overwrites, never deletes: a name
/// already taken gets " (2)", " (3)"... before its extension.
struct FolderMover: Sendable {
    let destinationRoot: String

    /// The note written beside a moved file: its suffix and its text, given the final relative path.
    struct Note {
        var suffix: String
        var text: (String) -> String
    }

    /// Moves `relativePath` from `drop` to the same relative path under the destination root,
    /// and returns where it went (a numbered name when the name was taken). The note is written
    /// first: a crash in between leaves the file in the drop folder, to be handled again, never a
    /// moved file without its note.
    func move(_ relativePath: String, from drop: DropFolder, note: Note? = nil) throws(EvidenceError) -> String {
        let parts = relativePath.split(separator: "/").map(String.init)
        let directory = parts.dropLast().joined(separator: "/")
        let name = parts.last ?? relativePath
        do {
            try makeDirectories(directory)
        } catch {
            throw EvidenceError(.system, "cannot create the folder for \(relativePath.debugQuoted)", cause: error)
        }
        let targetDirectory = directory.isEmpty ? destinationRoot : destinationRoot + "/" + directory
        for attempt in 1...1000 {
            let candidate = attempt == 1 ? name : Self.numbered(name, attempt)
            let target = targetDirectory + "/" + candidate
            let relativeTarget = directory.isEmpty ? candidate : directory + "/" + candidate
            if access(target, F_OK) == 0 { continue }
            if let note {
                if access(target + note.suffix, F_OK) == 0 { continue }
                try writeNote(note.text(relativeTarget), at: relativeTarget + note.suffix)
            }
            if evu_rename_noreplace(drop.fd, relativePath, AT_FDCWD, target) == 0 {
                syncDirectory(targetDirectory)
                return relativeTarget
            }
            let err = errno
            if let note { unlink(target + note.suffix) }
            if err == EEXIST { continue }
            if err == EXDEV {
                throw EvidenceError(.system, "the drop folder and \(destinationRoot.debugQuoted) are on different file systems; put them on the same one so files can be moved")
            }
            throw EvidenceError(.system, "cannot move \(relativePath.debugQuoted) out of the drop folder",
                                cause: SystemCallError(operation: "rename", path: target, errno: err))
        }
        throw EvidenceError(.system, "too many files named \(name.debugQuoted) in \(targetDirectory.debugQuoted)")
    }

    /// Where a file moved here earlier under `relativePath` (or a numbered variant) now is,
    /// recognised by its inode.
    func find(_ relativePath: String, inode: UInt64) -> String? {
        let parts = relativePath.split(separator: "/").map(String.init)
        let directory = parts.dropLast().joined(separator: "/")
        let name = parts.last ?? relativePath
        for attempt in 1...1000 {
            let candidate = attempt == 1 ? name : Self.numbered(name, attempt)
            let relativeTarget = directory.isEmpty ? candidate : directory + "/" + candidate
            var st = stat()
            guard lstat(destinationRoot + "/" + relativeTarget, &st) == 0 else { return nil }
            if UInt64(st.st_ino) == inode { return relativeTarget }
        }
        return nil
    }

    /// Writes `text` to `relativePath` under the destination root, atomically (temp, fsync, rename).
    func writeNote(_ text: String, at relativePath: String) throws(EvidenceError) {
        let path = destinationRoot + "/" + relativePath
        do {
            try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644)
        } catch {
            throw EvidenceError(.system, "cannot write \(path.debugQuoted)", cause: error)
        }
    }

    private func makeDirectories(_ relative: String) throws(SystemCallError) {
        var path = destinationRoot
        if mkdir(path, 0o775) != 0 && errno != EEXIST {
            throw SystemCallError(operation: "create folder", path: path, errno: errno)
        }
        for component in relative.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o775) != 0 && errno != EEXIST {
                throw SystemCallError(operation: "create folder", path: path, errno: errno)
            }
        }
    }

    private func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// "clip.mp4" -> "clip (2).mp4"
    static func numbered(_ name: String, _ n: Int) -> String {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot]) (\(n))\(name[dot...])"
        }
        return "\(name) (\(n))"
    }
}
