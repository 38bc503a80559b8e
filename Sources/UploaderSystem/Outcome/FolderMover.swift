import CLinuxShim
import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// Moves a finished file out of the drop folder into `uploaded/` or `rejected/` under the
/// same relative path, and writes the note beside it. Never overwrites, never deletes: a name
/// already taken gets " (2)", " (3)"... before its extension.
/// An `OpenFailure` as an error with a description, for causes.
struct OpenFailureDescription: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ failure: OpenFailure) {
        switch failure {
        case let .rejected(rejection): description = rejection.message
        case let .system(error): description = error.description
        }
    }
}

package struct FolderMover: Sendable {
    package let destinationRoot: String
    package let durability: Durability

    /// How durable a move is when `move` returns.
    package enum Durability: Sendable {
        /// The note's contents and the folder are synced: the move survives a power cut.
        case synced
        /// Nothing is synced: the caller syncs the file system later, for many moves at once
        /// (`FileSystemSync`), and relies on none of them before that (`uploaded/`, whose
        /// `moved` records the journal holds until then).
        case syncedLater
    }

    package init(destinationRoot: String, durability: Durability = .synced) {
        self.destinationRoot = destinationRoot
        self.durability = durability
    }

    /// The note written beside a moved file: its suffix and its text, given the final relative path.
    package struct Note {
        var suffix: String
        var text: (String) -> String
        /// Whether the text of a note already at the name is this note's own earlier copy: a
        /// move a power cut undid after its note's rename reached the disk. Then the name is
        /// still this file's, and that note is replaced.
        var isEarlierCopy: ((String) -> Bool)?

        package init(suffix: String, isEarlierCopy: ((String) -> Bool)? = nil, text: @escaping (String) -> String) {
            self.suffix = suffix
            self.isEarlierCopy = isEarlierCopy
            self.text = text
        }
    }

    /// Moves `relativePath` from `drop` to the same relative path under the destination root,
    /// and returns where it went (a numbered name when the name was taken). The source is
    /// reached from the drop folder's descriptor with no symlink followed, and when
    /// `expectedInode` is given it must still be that file: a folder or file swapped in after
    /// the upload is never moved. The note is written first: a crash in between leaves the file
    /// in the drop folder, to be handled again, never a moved file without its note.
    /// `sourceName` gives the raw bytes of a name that is not valid UTF-8.
    package func move(_ relativePath: String, from drop: DropFolder, expectedInode: UInt64? = nil,
              sourceName: [UInt8]? = nil, note: Note? = nil) throws(EvidenceError) -> String {
        let parent: (fd: Int32, name: String)
        do {
            parent = try drop.openParent(relativePath)
        } catch {
            throw EvidenceError(.system, "cannot reach \(relativePath.debugQuoted) safely to move it", cause: OpenFailureDescription(error))
        }
        defer { close(parent.fd) }
        let source = (sourceName ?? Array(parent.name.utf8)) + [0]
        if let expectedInode, inode(in: parent.fd, source) != expectedInode {
            throw EvidenceError(.system, "\(relativePath.debugQuoted) was replaced before it could be moved; it is left where it is")
        }
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
            let notePath = note.map { Self.noteName(for: candidate, suffix: $0.suffix) }
            if let note, let notePath {
                if Self.isTaken(note: targetDirectory + "/" + notePath, unlessEarlierCopy: note.isEarlierCopy) { continue }
                // Its folder is synced after the move below: one folder sync for both renames.
                try writeNote(note.text(relativeTarget), at: Self.notePath(beside: relativeTarget, suffix: note.suffix),
                              durability: durability == .synced ? .contentsOnly : .volatile)
            }
            let renamed = source.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { evu_rename_noreplace(parent.fd, $0.baseAddress!, AT_FDCWD, target) }
            }
            if renamed == 0 {
                if let expectedInode, inode(in: AT_FDCWD, Array(target.utf8) + [0]) != expectedInode {
                    // Swapped in the instant between the check and the rename: put it back.
                    _ = source.withUnsafeBufferPointer { raw in
                        raw.withMemoryRebound(to: CChar.self) { evu_rename_noreplace(AT_FDCWD, target, parent.fd, $0.baseAddress!) }
                    }
                    if let notePath { unlink(targetDirectory + "/" + notePath) }
                    throw EvidenceError(.system, "\(relativePath.debugQuoted) was replaced while it was being moved; it is left where it is")
                }
                if durability == .synced { FolderSyncs.shared.sync(targetDirectory) }
                return relativeTarget
            }
            let err = errno
            if let notePath { unlink(targetDirectory + "/" + notePath) }
            if err == EEXIST { continue }
            if err == EXDEV {
                throw EvidenceError(.system, "the drop folder and \(destinationRoot.debugQuoted) are on different file systems; put them on the same one so files can be moved")
            }
            throw EvidenceError(.system, "cannot move \(relativePath.debugQuoted) out of the drop folder",
                                cause: SystemCallError(operation: "rename", path: target, errno: err))
        }
        throw EvidenceError(.system, "too many files named \(name.debugQuoted) in \(targetDirectory.debugQuoted)")
    }

    /// Where the note of a file at `relativePath` is: beside it, named by `noteName`.
    package static func notePath(beside relativePath: String, suffix: String) -> String {
        guard let slash = relativePath.lastIndex(of: "/") else { return noteName(for: relativePath, suffix: suffix) }
        return relativePath[...slash] + noteName(for: String(relativePath[relativePath.index(after: slash)...]), suffix: suffix)
    }

    /// "<name><suffix>", shortened (keeping whole characters, marked with "...") when the
    /// result would pass the 255-byte limit of a file name.
    package static func noteName(for name: String, suffix: String) -> String {
        let limit = 255
        if name.utf8.count + suffix.utf8.count <= limit { return name + suffix }
        var kept = ""
        for character in name {
            if kept.utf8.count + character.utf8.count + 3 + suffix.utf8.count > limit { break }
            kept.append(character)
        }
        return kept + "..." + suffix
    }

    /// Whether a note's name is taken. Not by an empty file, which is no note: a power cut left
    /// it so (the rename of a note written unsynced reached the disk, its contents did not); nor
    /// by the note's own earlier copy. Either is replaced, so the file keeps its own name.
    private static func isTaken(note path: String, unlessEarlierCopy isEarlierCopy: ((String) -> Bool)?) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0 else { return errno != ENOENT }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return true }
        if st.st_size == 0 { return false }
        guard let isEarlierCopy, let text = try? AtomicFile.read(path) else { return true }
        return !isEarlierCopy(text)
    }

    private func inode(in directory: Int32, _ name: [UInt8]) -> UInt64? {
        var st = stat()
        let result = name.withUnsafeBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { fstatat(directory, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return result == 0 ? UInt64(st.st_ino) : nil
    }

    /// Where a file moved here earlier under `relativePath` (or a numbered variant) now is,
    /// recognised by its inode.
    package func find(_ relativePath: String, inode: UInt64) -> String? {
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

    /// Writes `text` to `relativePath` under the destination root, atomically (temp, fsync, rename,
    /// and with `.durable` fsync the folder).
    package func writeNote(_ text: String, at relativePath: String, durability: AtomicFile.Durability = .durable) throws(EvidenceError) {
        let path = destinationRoot + "/" + relativePath
        do {
            try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644, durability: durability)
        } catch {
            throw EvidenceError(.system, "cannot write \(path.debugQuoted)", cause: error)
        }
    }

    private func makeDirectories(_ relative: String) throws(SystemCallError) {
        // Usually the folder is there already (the file before went to it): one call, not one per level.
        let leaf = relative.isEmpty ? destinationRoot : destinationRoot + "/" + relative
        if mkdir(leaf, 0o775) == 0 || errno == EEXIST { return }
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

    /// "clip.mp4" -> "clip (2).mp4"
    static func numbered(_ name: String, _ n: Int) -> String {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot]) (\(n))\(name[dot...])"
        }
        return "\(name) (\(n))"
    }
}
