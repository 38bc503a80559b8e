import Logging
import UploaderCore
import UploaderJournal
import UploaderSystem

/// The ports at the item and admission machines' edge: what one delivery (or admission) reads
/// and changes in the world, as small protocols. The adapters (`Adapters.swift`) are the journal,
/// the drop folder, the mover, the system clock, the hasher and ffmpeg; the doubles (in memory)
/// are in the `UploaderTestSupport` target. The upload transport (`UploaderCurl/UploadTransport.swift`)
/// is one more.

/// The journal as a delivery and admission see it: append a record, look up an item (by id, or
/// the unfinished one at a path) or a finished duplicate.
protocol ItemJournal: Sendable {
    /// Appends one record (durable first where the record must be); returns its item id.
    @discardableResult
    func append(_ record: JournalRecord) throws(EvidenceError) -> UInt64
    func item(id: UInt64) -> JournalItem?
    /// The latest unfinished item for a relative path.
    func item(forRelativePath relativePath: String) -> JournalItem?
    /// The latest moved item with this content and these labels.
    func finishedItem(sha256: String, labels: EvidenceLabels) -> JournalItem?
}

/// A file opened safely for its admission or delivery: everything reads through `fd` (and its
/// bytes, for the policy checks), never the path again.
protocol OpenedEvidence: AnyObject, Sendable, EvidenceBytes {
    var fd: Int32 { get }
    var size: Int64 { get }
    var device: UInt64 { get }
    var inode: UInt64 { get }
    /// Nanoseconds since the epoch.
    var modified: Int64 { get }
    var fileName: String { get }
    /// Still the file that was opened, unchanged (size and mtime through the descriptor)?
    func isUnchanged() -> Bool
    /// The first `count` bytes (fewer for a short file), for recognising the content.
    func head(_ count: Int) throws(EvidenceError) -> [UInt8]
    /// Whether another process still has the file open for writing.
    func isOpenForWritingElsewhere() -> Bool
}

/// The drop folder: open the evidence safely, and say which file is at a path.
protocol EvidenceSource: Sendable {
    associatedtype Opened: OpenedEvidence
    func openEvidence(_ relativePath: String) throws(OpenFailure) -> Opened
    /// Size, mtime and identity of what is at the path; nil when nothing (or a folder) is.
    func stat(_ relativePath: String) -> DropFolder.Entry?
}

/// Where delivered evidence goes (`uploaded/`): moved beside its receipt, never overwritten.
protocol EvidenceSink: Sendable {
    /// Moves the file at `relativePath` in the drop folder here, with its note written first;
    /// returns where it went. `expectedInode`: the file must still be that one.
    func move(_ relativePath: String, expectedInode: UInt64?, note: FolderMover.Note) throws(EvidenceError) -> String
    /// Where a file moved here earlier under `relativePath` (or a numbered name) is, by inode.
    func find(_ relativePath: String, inode: UInt64) -> String?
    /// Writes the note (a receipt) of the file at `destination`, named as `move` names it,
    /// atomically and durably.
    func writeNote(_ text: String, beside destination: String, suffix: String) throws(EvidenceError)
    /// Keeps an oversize video's compressed copy beside its original at `destination`.
    func keepCompressedCopy(_ copy: CompressedCopy, id: UInt64, originalAt destination: String) throws(EvidenceError)
}

/// The clock: wall time for receipts, monotonic time for durations and rates.
protocol TimeSource: Sendable {
    /// Seconds since the epoch.
    func now() -> Int64
    /// Monotonic time since a fixed point, for durations and rates.
    func monotonic() -> Duration
}

/// The content hasher: the SHA-256 of the open evidence, read through its descriptor. It gives
/// up (throws) as soon as `keepGoing` says false.
protocol ContentHasher: Sendable {
    func sha256(of file: any OpenedEvidence, path: String, keepGoing: @escaping @Sendable () -> Bool) throws(EvidenceError) -> String
}

/// The video compressor: a copy of an oversize video that fits `limitBytes` (or the finished copy
/// the item's journal names, when it is still whole), or why there is none. `progress` is a line
/// for the status board.
protocol VideoCompressor: Sendable {
    /// Whether the tools are there at all (ffmpeg and ffprobe).
    var isInstalled: Bool { get }
    func compress(_ item: JournalItem, file: any OpenedEvidence, limitBytes: Int64, logger: Logger,
                  progress: @escaping (String) -> Void) -> CompressionStage.Result
}

/// The ports one delivery is given.
struct DeliveryPorts: Sendable {
    var journal: any ItemJournal
    var drop: any EvidenceSource
    var uploaded: any EvidenceSink
    var clock: any TimeSource
    var hasher: any ContentHasher
    var compressor: any VideoCompressor
    /// A destination's portal (its upload transport and origin), by destination name.
    var portal: @Sendable (String) -> Pipeline.Portal
    /// Moves a file to `rejected/` with its reason, records it, shows it; false when it could not.
    var reject: @Sendable (JournalItem, Rejection) -> Bool
}

/// The ports one admission is given: the journal, the drop folder, and the two steps it asks
/// of the kit's rules.
struct AdmissionPorts: Sendable {
    var journal: any ItemJournal
    var drop: any EvidenceSource
    /// The destination's rules and labels applied to the open file (`Examiner.examine`).
    var examine: @Sendable (_ file: any OpenedEvidence, _ relativePath: String) throws(EvidenceError) -> Examination
    /// Moves a file to `rejected/` with its reason and shows it; false when it could not.
    /// `size`, `inode`: of the file that was opened (0 and nil when it could not be).
    var reject: @Sendable (_ relativePath: String, Rejection, _ size: Int64, _ inode: UInt64?) -> Bool
}
