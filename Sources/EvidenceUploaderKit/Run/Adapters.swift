import Logging
import UploaderCore
import UploaderHashing
import UploaderJournal
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The real world behind the ports of a delivery and an admission (`Ports.swift`).

extension Journal: ItemJournal {}

extension DropFolder: EvidenceSource {}

extension EvidenceFile: OpenedEvidence {
    func isOpenForWritingElsewhere() -> Bool { LinuxCalls.isOpenForWritingElsewhere(fd) }
}

/// `uploaded/` as a sink: the never-overwrite mover, reaching the file from the drop folder's
/// descriptor; compressed copies come from the state folder.
struct FolderSink: EvidenceSink {
    let mover: FolderMover
    let drop: DropFolder
    let stateFolder: String

    func move(_ relativePath: String, expectedInode: UInt64?, note: FolderMover.Note) throws(EvidenceError) -> String {
        try mover.move(relativePath, from: drop, expectedInode: expectedInode, note: note)
    }

    func find(_ relativePath: String, inode: UInt64) -> String? {
        mover.find(relativePath, inode: inode)
    }

    func writeNote(_ text: String, beside destination: String, suffix: String) throws(EvidenceError) {
        try mover.writeNote(text, at: FolderMover.notePath(beside: destination, suffix: suffix))
    }

    func keepCompressedCopy(_ copy: CompressedCopy, id: UInt64, originalAt destination: String) throws(EvidenceError) {
        try CompressionStage.keep(copy, id: id, stateFolder: stateFolder, uploadedRoot: mover.destinationRoot, originalAt: destination)
    }
}

/// The system's clocks (`WallClock`).
struct SystemTime: TimeSource {
    func now() -> Int64 { WallClock.now() }
    func monotonic() -> Duration { WallClock.monotonicDuration() }
}

/// SHA-256 over libcrypto (`FileHasher`), in 1 MiB reads from the descriptor.
struct FileContentHasher: ContentHasher {
    func sha256(of file: any OpenedEvidence, path: String, keepGoing: @escaping @Sendable () -> Bool) throws(EvidenceError) -> String {
        try FileHasher().digest(.sha256, fd: file.fd, length: file.size, path: path) { _ in keepGoing() }.hexString
    }
}

/// ffmpeg, through `CompressionStage`: the copy in the state folder, journalled as it goes
/// (`compressionStarted`, `compressed`), reused after a restart when it is still whole.
struct FFmpegCompressor: VideoCompressor {
    let settings: Compressor.Settings
    let stateFolder: String
    let journal: any ItemJournal
    let stop: StopSignal

    var isInstalled: Bool { settings.isInstalled }

    func compress(_ item: JournalItem, file: any OpenedEvidence, limitBytes: Int64, logger: Logger,
                  progress: @escaping (String) -> Void) -> CompressionStage.Result {
        CompressionStage(settings: settings, stateFolder: stateFolder, journal: journal, stop: stop, logger: logger)
            .run(item, file: file, limitBytes: limitBytes, progress: progress)
    }
}

extension DeliveryPorts {
    /// The ports of a run: its journal, drop folder, `uploaded/`, the system clock, the hasher,
    /// ffmpeg, its portals and its `rejected/`.
    init(pipeline: Pipeline) {
        self.init(
            journal: pipeline.journal, drop: pipeline.drop,
            uploaded: FolderSink(mover: pipeline.uploaded, drop: pipeline.drop, stateFolder: pipeline.config.folders.state),
            clock: SystemTime(),
            hasher: FileContentHasher(),
            compressor: FFmpegCompressor(settings: pipeline.examiner.compress, stateFolder: pipeline.config.folders.state,
                                         journal: pipeline.journal, stop: pipeline.stop),
            portal: { [pipeline] destination in pipeline.portal(for: destination) },
            reject: { [pipeline] item, rejection in
                pipeline.reject(item.relativePath, rejection, size: item.size, itemID: item.id, inode: item.inode)
            })
    }
}

extension AdmissionPorts {
    /// The ports of a run's admissions: its journal, drop folder, examiner and `rejected/`.
    init(pipeline: Pipeline) {
        self.init(
            journal: pipeline.journal, drop: pipeline.drop,
            examine: { [examiner = pipeline.examiner] file, relativePath throws(EvidenceError) in
                try examiner.examine(file, relativePath: relativePath)
            },
            reject: { [pipeline] relativePath, rejection, size, inode in
                pipeline.reject(relativePath, rejection, size: size, inode: inode)
            })
    }
}
