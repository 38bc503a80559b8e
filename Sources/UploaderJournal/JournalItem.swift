import Synchronization
import UploaderCore

/// Where one item stands, folded from its records.
package enum JournalItemState: String, Sendable, Equatable, CaseIterable {
    case discovered, hashed, created, delivered, moved, rejected, abandoned

    /// Moved, rejected or abandoned: nothing more will happen to the item.
    package var isFinished: Bool { self == .moved || self == .rejected || self == .abandoned }
}

/// The current state of one item (one file's journey).
///
/// Kept small: 10,000 queued items live in the journal's state for the daemon's life. What many
/// items share (labels, file type, endpoint, awarding body) is one interned `Kind`, and what is set
/// later or rarely (digest, upload URL, where it went, why, a compressed copy) is one boxed `Later`,
/// absent until the first of them is set. Both are immutable and replaced on change, so the item
/// stays a value. 96 bytes instead of 248.
package struct JournalItem: Sendable, Equatable {
    package var id: UInt64
    package var relativePath: String
    package var device: UInt64
    package var inode: UInt64
    package var size: Int64
    package var mtimeNanos: Int64
    /// The last offset the server confirmed (the server stays the truth on resume).
    var confirmedOffset: Int64
    private var kind: Kind
    private var later: Later?
    package var state: JournalItemState

    init(id: UInt64, relativePath: String, device: UInt64, inode: UInt64, size: Int64, mtimeNanos: Int64,
         labels: EvidenceLabels, fileType: String, endpoint: String, sha256: String?, uploadURL: String?,
         confirmedOffset: Int64, state: JournalItemState, destination: String?, reason: String?,
         destinationName: String = "") {
        self.id = id
        self.relativePath = relativePath
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.confirmedOffset = confirmedOffset
        self.state = state
        kind = Kind.interned(Kind.Fields(labels: labels, fileType: fileType, endpoint: endpoint, destinationName: destinationName))
        later = Later.boxed(Later.Fields(sha256: sha256, uploadURL: uploadURL, destination: destination, reason: reason))
    }

    package var labels: EvidenceLabels {
        get { kind.fields.labels }
        set { updateKind { $0.labels = newValue } }
    }
    package var fileType: String {
        get { kind.fields.fileType }
        set { updateKind { $0.fileType = newValue } }
    }
    var endpoint: String {
        get { kind.fields.endpoint }
        set { updateKind { $0.endpoint = newValue } }
    }
    /// The awarding body (`[destination.NAME]`); "" without destinations.
    package var destinationName: String {
        get { kind.fields.destinationName }
        set { updateKind { $0.destinationName = newValue } }
    }

    package var sha256: String? {
        get { later?.fields.sha256 }
        set { updateLater { $0.sha256 = newValue } }
    }
    package var uploadURL: String? {
        get { later?.fields.uploadURL }
        set { updateLater { $0.uploadURL = newValue } }
    }
    /// Where the file was moved (`.moved`, `.rejected`).
    package var destination: String? {
        get { later?.fields.destination }
        set { updateLater { $0.destination = newValue } }
    }
    /// The rejection code (`.rejected`) or why it was given up (`.abandoned`).
    var reason: String? {
        get { later?.fields.reason }
        set { updateLater { $0.reason = newValue } }
    }
    /// An oversize video's compressed copy, once finished (`compressed`); nil while none is.
    package var compressedCopy: CompressedCopy? {
        get { later?.fields.compressedCopy }
        set { updateLater { $0.compressedCopy = newValue } }
    }

    private mutating func updateKind(_ change: (inout Kind.Fields) -> Void) {
        var fields = kind.fields
        change(&fields)
        if fields != kind.fields { kind = Kind.interned(fields) }
    }

    private mutating func updateLater(_ change: (inout Later.Fields) -> Void) {
        var fields = later?.fields ?? Later.Fields()
        change(&fields)
        later = Later.boxed(fields)
    }

    package static func == (a: JournalItem, b: JournalItem) -> Bool {
        a.id == b.id && a.relativePath == b.relativePath && a.device == b.device && a.inode == b.inode
            && a.size == b.size && a.mtimeNanos == b.mtimeNanos && a.confirmedOffset == b.confirmedOffset
            && a.state == b.state && (a.kind === b.kind || a.kind.fields == b.kind.fields)
            && (a.later?.fields ?? Later.Fields()) == (b.later?.fields ?? Later.Fields())
    }

    /// What items of one candidate, unit and route share: one object for all of them.
    private final class Kind: Sendable {
        struct Fields: Hashable, Sendable {
            var labels: EvidenceLabels
            var fileType: String
            var endpoint: String
            var destinationName: String
        }
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }

        /// Bounded: past this many the table starts again (items keep the objects they have).
        private static let tableLimit = 4096
        private static let table = Mutex<[Fields: Kind]>([:])

        static func interned(_ fields: Fields) -> Kind {
            table.withLock { table in
                if let kind = table[fields] { return kind }
                if table.count >= tableLimit { table = [:] }
                let kind = Kind(fields)
                table[fields] = kind
                return kind
            }
        }
    }

    /// What is set later or rarely, boxed: nil while all of it is.
    private final class Later: Sendable {
        struct Fields: Equatable, Sendable {
            var sha256: String? = nil
            var uploadURL: String? = nil
            var destination: String? = nil
            var reason: String? = nil
            var compressedCopy: CompressedCopy? = nil
        }
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }

        static func boxed(_ fields: Fields) -> Later? {
            fields == Fields() ? nil : Later(fields)
        }
    }
}
