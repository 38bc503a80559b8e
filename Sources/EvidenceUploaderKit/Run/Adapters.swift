import CLinuxShim
import UploaderCore
import UploaderJournal
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The real world behind the ports of a delivery and an admission (`Ports.swift`).

extension Journal: ItemJournal {}

extension DropFolder: EvidenceSource {}

extension EvidenceFile: OpenedEvidence {
    /// Whether another process still has the file open for writing: a read lease cannot be
    /// taken then. Where leases are not available (not the owner, network file systems) this
    /// says false and the settle time alone decides.
    func isOpenForWritingElsewhere() -> Bool {
        if evu_probe_read_lease(fd) == 0 { return false }
        return errno == EAGAIN || errno == EBUSY
    }
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

    func writeNote(_ text: String, at relativePath: String) throws(EvidenceError) {
        try mover.writeNote(text, at: relativePath)
    }

    func keepCompressedCopy(_ copy: CompressedCopy, id: UInt64, originalAt destination: String) throws(EvidenceError) {
        try CompressionStage.keep(copy, id: id, stateFolder: stateFolder, uploadedRoot: mover.destinationRoot, originalAt: destination)
    }
}

/// The system's clocks (`WallClock`).
struct SystemTime: TimeSource {
    func now() -> Int64 { WallClock.now() }
    func monotonic() -> Double { WallClock.monotonic() }
}

extension DeliveryPorts {
    /// The ports of a run: its journal, drop folder, `uploaded/`, the system clock, its portals
    /// and its `rejected/`.
    init(pipeline: Pipeline) {
        self.init(
            journal: pipeline.journal, drop: pipeline.drop,
            uploaded: FolderSink(mover: pipeline.uploaded, drop: pipeline.drop, stateFolder: pipeline.config.folders.state),
            clock: SystemTime(),
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
