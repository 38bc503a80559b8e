/// Where one item stands, folded from its records.
public enum JournalItemState: String, Sendable, Equatable, CaseIterable {
    case discovered, hashed, created, delivered, moved, rejected, abandoned

    /// Moved, rejected or abandoned: nothing more will happen to the item.
    public var isFinished: Bool { self == .moved || self == .rejected || self == .abandoned }
}

/// The current state of one item (one file's journey).
public struct JournalItem: Sendable, Equatable {
    public var id: UInt64
    public var relativePath: String
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanos: Int64
    public var labels: EvidenceLabels
    public var fileType: String
    public var endpoint: String
    public var sha256: String?
    public var uploadURL: String?
    /// The last offset the server confirmed (the server stays the truth on resume).
    public var confirmedOffset: Int64
    public var state: JournalItemState
    /// Where the file was moved (`.moved`, `.rejected`).
    public var destination: String?
    /// The rejection code (`.rejected`) or why it was given up (`.abandoned`).
    public var reason: String?
    /// The awarding body (`[destination.NAME]`); "" without destinations.
    public var destinationName: String = ""
    /// An oversize video's compressed copy, once finished (`compressed`); nil while none is.
    public var compressedCopy: CompressedCopy? {
        get { compressedCopies.first }
        set { compressedCopies = newValue.map { [$0] } ?? [] }
    }
    /// Held out of line: few items have one, and inline it would make each of 10,000 queued
    /// items a third larger.
    var compressedCopies: [CompressedCopy] = []
}
