/// Where one item stands, folded from its records.
enum JournalItemState: String, Sendable, Equatable, CaseIterable {
    case discovered, hashed, created, delivered, moved, rejected, abandoned

    /// Moved, rejected or abandoned: nothing more will happen to the item.
    var isFinished: Bool { self == .moved || self == .rejected || self == .abandoned }
}

/// The current state of one item (one file's journey).
struct JournalItem: Sendable, Equatable {
    var id: UInt64
    var relativePath: String
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mtimeNanos: Int64
    var labels: EvidenceLabels
    var fileType: String
    var endpoint: String
    var sha256: String?
    var uploadURL: String?
    /// The last offset the server confirmed (the server stays the truth on resume).
    var confirmedOffset: Int64
    var state: JournalItemState
    /// Where the file was moved (`.moved`, `.rejected`).
    var destination: String?
    /// The rejection code (`.rejected`) or why it was given up (`.abandoned`).
    var reason: String?
    /// The awarding body (`[destination.NAME]`); "" without destinations.
    var destinationName: String = ""
    /// An oversize video's compressed copy, once finished (`compressed`); nil while none is.
    var compressedCopy: CompressedCopy? {
        get { compressedCopies.first }
        set { compressedCopies = newValue.map { [$0] } ?? [] }
    }
    /// Held out of line: few items have one, and inline it would make each of 10,000 queued
    /// items a third larger.
    var compressedCopies: [CompressedCopy] = []
}
