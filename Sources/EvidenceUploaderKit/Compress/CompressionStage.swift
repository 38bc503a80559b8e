import Logging
import UploaderConfig
import UploaderCore
import UploaderHashing
import UploaderJournal
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The compressed copy, open for the upload. All reading goes through `fd`.
final class CompressedFile: Sendable {  // immutable after init; fd closed once, in deinit
    let fd: Int32
    let size: Int64
    let copy: CompressedCopy

    /// Opens the copy a `compressed` record names; nil when it is gone or not that size any more.
    init?(stateFolder: String, copy: CompressedCopy) {
        let fd = open(stateFolder + "/" + copy.workFile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int64(st.st_size) == copy.size else {
            close(fd)
            return nil
        }
        self.fd = fd
        self.size = copy.size
        self.copy = copy
    }

    deinit { close(fd) }

    func isUnchanged() -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && Int64(st.st_size) == size
    }
}

/// Compression as a stage of an item's delivery: reuse a finished copy the journal knows, or
/// compress (journalled: started, finished with size and SHA-256), or say why not.
struct CompressionStage {
    enum Result {
        case ready(CompressedFile)
        /// The video itself is the problem: reject it with this reason.
        case reject(Rejection)
        /// The machine is (ffmpeg missing or failing, a limit hit); `permanent`: not retried by itself.
        case failed(EvidenceError, permanent: Bool)
        case stopped
    }

    let settings: Compressor.Settings
    let stateFolder: String
    let journal: any ItemJournal
    let stop: StopSignal
    let logger: Logger

    static func workFolder(stateFolder: String, id: UInt64) -> String { stateFolder + "/compress/\(id)" }

    func run(_ item: JournalItem, file: any OpenedEvidence, limitBytes: Int64, progress: @escaping (String) -> Void) -> Result {
        if let copy = item.compressedCopy {
            if let reopened = CompressedFile(stateFolder: stateFolder, copy: copy), digest(reopened.fd, size: reopened.size) == copy.sha256 {
                logger.info("reusing the compressed copy made before the restart", metadata: ["rung": "\(copy.rung)", "size": "\(copy.size)"])
                return .ready(reopened)
            }
            logger.notice("the compressed copy made earlier is gone or changed; compressing again")
        }
        let folder = Self.workFolder(stateFolder: stateFolder, id: item.id)
        let compressor = Compressor(settings: settings, logger: logger)
        var lastShown = 0.0
        let outcome = compressor.compress(fd: file.fd, limitBytes: limitBytes, workFolder: folder, stop: stop,
                                          willEncode: { plan throws(EvidenceError) in
            try journal.append(.compressionStarted(id: item.id, rung: plan.rung.name))
        }, progress: { _, text in
            let now = WallClock.monotonic()
            if now - lastShown >= 1 {
                lastShown = now
                progress(text)
            }
        })
        switch outcome {
        case let .done(output):
            guard file.isUnchanged() else {
                return .failed(EvidenceError(.system, "the video changed while it was being compressed"), permanent: false)
            }
            let workFile = "compress/\(item.id)/\(Compressor.outputName)"
            let fd = open(output.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else {
                return .failed(EvidenceError(.system, "cannot read the compressed copy", cause: SystemCallError(operation: "open", path: output.path, errno: errno)), permanent: false)
            }
            let sha256 = digest(fd, size: output.size)
            close(fd)
            guard let sha256 else {
                return .failed(EvidenceError(.system, "cannot hash the compressed copy"), permanent: false)
            }
            let copy = CompressedCopy(
                workFile: workFile, size: output.size, sha256: sha256, rung: output.plan.rung.name,
                width: Int64(output.facts.width), height: Int64(output.facts.height), durationMillis: Self.millis(output.facts.durationSeconds),
                originalWidth: Int64(output.original.width), originalHeight: Int64(output.original.height),
                originalDurationMillis: Self.millis(output.original.durationSeconds))
            do {
                try journal.append(.compressed(id: item.id, copy: copy))
            } catch {
                return .failed(error, permanent: false)
            }
            guard let opened = CompressedFile(stateFolder: stateFolder, copy: copy) else {
                return .failed(EvidenceError(.system, "the compressed copy vanished from the state folder"), permanent: false)
            }
            return .ready(opened)
        case let .tooLong(minutes, facts):
            return .reject(.videoTooLong(size: item.size, limit: limitBytes, facts: facts, maxMinutes: minutes))
        case let .unreadable(reason):
            return .reject(.videoUnreadable(reason))
        case let .failed(error):
            return .failed(error, permanent: error.code != .stateFull && error.code != .journal)
        case .stopped:
            return .stopped
        }
    }

    private func digest(_ fd: Int32, size: Int64) -> String? {
        let stop = self.stop
        return try? FileHasher().digest(.sha256, fd: fd, length: size) { _ in !stop.isRaised }.hexString
    }

    static func millis(_ seconds: Double) -> Int64 { Int64((seconds * 1000).rounded()) }

    /// After delivery: the copy moves beside the original in `uploaded/` as
    /// `<name>.compressed.mp4`, and the work folder goes. Safe to call again after a crash.
    static func keep(_ copy: CompressedCopy, id: UInt64, stateFolder: String, uploadedRoot: String, originalAt destination: String) throws(EvidenceError) {
        let source = stateFolder + "/" + copy.workFile
        let target = uploadedRoot + "/" + copyPath(forOriginalAt: destination)
        if access(source, F_OK) != 0 {
            if access(target, F_OK) == 0 { return }  // already moved, before a crash
            throw EvidenceError(.system, "the compressed copy \(source.debugQuoted) is missing; it could not be kept beside the original")
        }
        let err = LinuxCalls.renameNoReplace(source, to: target)
        if err != 0 {
            guard err == EXDEV else {
                throw EvidenceError(.system, "cannot keep the compressed copy beside the original", cause: SystemCallError(operation: "rename", path: target, errno: err))
            }
            try copyAcross(source, to: target)
            unlink(source)
        }
        Compressor.removeContents(of: workFolder(stateFolder: stateFolder, id: id), andFolder: true)
    }

    /// Where the compressed copy of the original at `destination` (relative to `uploaded/`) goes.
    static func copyPath(forOriginalAt destination: String) -> String {
        let parts = destination.split(separator: "/").map(String.init)
        let name = FolderMover.noteName(for: parts.last ?? destination, suffix: ".compressed.mp4")
        return (parts.dropLast() + [name]).joined(separator: "/")
    }

    /// The state folder and `uploaded/` on different file systems: copy, fsync, rename into place.
    private static func copyAcross(_ source: String, to target: String) throws(EvidenceError) {
        let temp = target + ".part-\(getpid())"
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        defer {
            if input >= 0 { close(input) }
        }
        guard input >= 0, output >= 0 else {
            if output >= 0 { close(output); unlink(temp) }
            throw EvidenceError(.system, "cannot copy the compressed copy to \(target.debugQuoted)", cause: SystemCallError(operation: "open", path: temp, errno: errno))
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var failed: Int32 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 { if errno == EINTR { continue }; failed = errno; break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
                if w < 0 { if errno == EINTR { continue }; failed = errno; break }
                written += w
            }
            if failed != 0 { break }
        }
        if failed == 0 && fsync(output) != 0 { failed = errno }
        close(output)
        if failed == 0 { failed = LinuxCalls.renameNoReplace(temp, to: target) }
        if failed != 0 {
            unlink(temp)
            throw EvidenceError(.system, "cannot copy the compressed copy to \(target.debugQuoted)", cause: SystemCallError(operation: "copy", path: target, errno: failed))
        }
    }
}

extension Config {
    /// Said by `config check` and at startup: `oversize_video = "compress"` without ffmpeg.
    public var compressionWarnings: [String] {
        guard destinations.contains(where: { $0.policy.oversizeVideo == .compress }) else { return [] }
        let programs: [String] = [compress.ffmpeg, compress.ffprobe]
        return programs.filter { program in access(program, X_OK) != 0 }.map {
            "oversize_video = \"compress\", but \($0) is not installed (apt install ffmpeg, or set [compress] ffmpeg and ffprobe): oversize videos are rejected as usual until it is"
        }
    }
}
