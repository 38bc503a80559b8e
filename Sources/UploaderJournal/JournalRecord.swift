import UploaderCore

/// One fact about one item, written to the journal before it is acted on.
///
/// An item is one file's journey from the drop folder to `uploaded/` (or `rejected/`). Ids are
/// assigned by the journal when `.discovered` is appended and increase.
package enum JournalRecord: Sendable, Equatable {
    /// A file was found and accepted for upload. The `id` is ignored on append (the journal assigns it).
    /// `destinationName`: the awarding body (`[destination.NAME]`) it goes to; "" for a config
    /// without destinations (and in every journal written before destinations existed).
    case discovered(id: UInt64, relativePath: String, device: UInt64, inode: UInt64, size: Int64,
                    mtimeNanos: Int64, labels: EvidenceLabels, fileType: String, endpoint: String,
                    destinationName: String = "")
    /// The SHA-256 of the whole file, lowercase hex.
    case hashed(id: UInt64, sha256: String)
    /// The server created an upload at this URL; written before the first byte is sent.
    case created(id: UInt64, uploadURL: String)
    /// The server confirmed it holds this many bytes.
    case offset(id: UInt64, offset: Int64)
    /// The server holds every byte.
    case delivered(id: UInt64)
    /// The file was moved to `uploaded/` and its receipt written.
    case moved(id: UInt64, destination: String)
    /// The file was rejected and moved to `rejected/`.
    case rejected(id: UInt64, code: String, destination: String)
    /// Given up or superseded (for example, the file changed).
    case abandoned(id: UInt64, reason: String)
    /// Compression of an oversize video began at this rung ("720p"); any output of an earlier
    /// attempt is discarded (a kill mid-way leaves a half-written one).
    case compressionStarted(id: UInt64, rung: String)
    /// The compressed copy is complete and checked: what is uploaded instead of the original.
    case compressed(id: UInt64, copy: CompressedCopy)

    var id: UInt64 {
        switch self {
        case let .discovered(id, _, _, _, _, _, _, _, _, _): id
        case let .hashed(id, _): id
        case let .created(id, _): id
        case let .offset(id, _): id
        case let .delivered(id): id
        case let .moved(id, _): id
        case let .rejected(id, _, _): id
        case let .abandoned(id, _): id
        case let .compressionStarted(id, _): id
        case let .compressed(id, _): id
        }
    }

    /// The on-disk type byte.
    var typeCode: UInt8 {
        switch self {
        case .discovered: 1
        case .hashed: 2
        case .created: 3
        case .offset: 4
        case .delivered: 5
        case .moved: 6
        case .rejected: 7
        case .abandoned: 8
        case .compressionStarted: 9
        case .compressed: 10
        }
    }

    var typeName: String {
        switch self {
        case .discovered: "discovered"
        case .hashed: "hashed"
        case .created: "created"
        case .offset: "offset"
        case .delivered: "delivered"
        case .moved: "moved"
        case .rejected: "rejected"
        case .abandoned: "abandoned"
        case .compressionStarted: "compression-started"
        case .compressed: "compressed"
        }
    }

    /// When a record must be on disk, relative to what is done with it.
    package enum Durability: Sendable, Equatable {
        /// Synced before `append` returns: what happens next relies on it surviving a power cut.
        case beforeUse
        /// Written at once and made durable by the next sync (the journal is one file: a sync
        /// covers everything written before it): losing it costs only work a replay redoes.
        case withNextSync
        /// Written only after the evidence folders are synced (`Journal.settle`): it says that
        /// something done in them is done, so it must not survive a power cut that undid that.
        case afterFolders
    }

    /// Which durability each record needs, and why:
    /// - `created` before the first byte is sent: a lost upload URL would send the file twice;
    /// - `delivered` before the file leaves the drop folder: the portal holds every byte;
    /// - `rejected`, `abandoned` and the compression records: rare, and kept as they were;
    /// - `discovered`, `hashed`: a lost one means the file is found or hashed again;
    /// - `offset`: the portal's offset is the truth on resume, the journal's only a hint;
    /// - `moved`: the receipt and the renames of a move into `uploaded/` are not synced one by
    ///   one; a lost `moved` is found again by inode in `uploaded/`, its receipt written again,
    ///   and finished then. Written before the folders are synced, it could outlive a file put
    ///   back in the drop folder, or an empty receipt, by a power cut.
    var durability: Durability {
        switch self {
        case .discovered, .hashed, .offset: .withNextSync
        case .moved: .afterFolders
        case .created, .delivered, .rejected, .abandoned, .compressionStarted, .compressed: .beforeUse
        }
    }

    /// How long a `.beforeUse` record may wait for another thread's journal sync to cover it
    /// before syncing itself (`GroupSync`'s patience). `delivered`: its only use is the move into
    /// `uploaded/`, which can wait a moment; with several uploads finishing, most `delivered`
    /// records then share the sync of another upload's record. The others do not wait: a body
    /// waits for `created`.
    var syncPatience: Duration {
        if case .delivered = self { return .milliseconds(4) }
        return .zero
    }

    /// The same record with another id (used when the journal assigns ids).
    func withID(_ newID: UInt64) -> JournalRecord {
        switch self {
        case let .discovered(_, p, d, i, s, m, l, t, e, n):
            .discovered(id: newID, relativePath: p, device: d, inode: i, size: s, mtimeNanos: m, labels: l, fileType: t, endpoint: e,
                        destinationName: n)
        case let .hashed(_, h): .hashed(id: newID, sha256: h)
        case let .created(_, u): .created(id: newID, uploadURL: u)
        case let .offset(_, o): .offset(id: newID, offset: o)
        case .delivered: .delivered(id: newID)
        case let .moved(_, d): .moved(id: newID, destination: d)
        case let .rejected(_, c, d): .rejected(id: newID, code: c, destination: d)
        case let .abandoned(_, r): .abandoned(id: newID, reason: r)
        case let .compressionStarted(_, r): .compressionStarted(id: newID, rung: r)
        case let .compressed(_, c): .compressed(id: newID, copy: c)
        }
    }

    /// One readable line, control characters escaped.
    var dumpLine: String {
        switch self {
        case let .discovered(id, p, d, i, s, m, l, t, e, n):
            "#\(id) discovered path=\(p.debugQuoted) dev=\(d) ino=\(i) size=\(s) mtime_ns=\(m) centre=\(l.centre.debugQuoted) candidate=\(l.candidate.debugQuoted) unit=\(l.unit.debugQuoted) type=\(t.debugQuoted) endpoint=\(e.debugQuoted)"
                + (n.isEmpty ? "" : " destination=\(n.debugQuoted)")
        case let .hashed(id, h): "#\(id) hashed sha256=\(h.debugQuoted)"
        case let .created(id, u): "#\(id) created url=\(u.debugQuoted)"
        case let .offset(id, o): "#\(id) offset \(o)"
        case let .delivered(id): "#\(id) delivered"
        case let .moved(id, d): "#\(id) moved to=\(d.debugQuoted)"
        case let .rejected(id, c, d): "#\(id) rejected code=\(c.debugQuoted) to=\(d.debugQuoted)"
        case let .abandoned(id, r): "#\(id) abandoned reason=\(r.debugQuoted)"
        case let .compressionStarted(id, r): "#\(id) compression-started rung=\(r.debugQuoted)"
        case let .compressed(id, c):
            "#\(id) compressed file=\(c.workFile.debugQuoted) size=\(c.size) sha256=\(c.sha256.debugQuoted) rung=\(c.rung.debugQuoted) "
                + "picture=\(c.width)x\(c.height) duration_ms=\(c.durationMillis) original=\(c.originalWidth)x\(c.originalHeight) original_duration_ms=\(c.originalDurationMillis)"
        }
    }
}

/// The compressed copy of an oversize video (`compressed` record): where it waits in the state
/// folder, what it is, and what the original was, for the receipt.
package struct CompressedCopy: Sendable, Equatable {
    /// Relative to the state folder, e.g. "compress/12/output.mp4".
    package var workFile: String
    package var size: Int64
    package var sha256: String
    package var rung: String
    package var width: Int64
    package var height: Int64
    package var durationMillis: Int64
    package var originalWidth: Int64
    package var originalHeight: Int64
    package var originalDurationMillis: Int64

    package init(workFile: String, size: Int64, sha256: String, rung: String, width: Int64, height: Int64, durationMillis: Int64,
                originalWidth: Int64, originalHeight: Int64, originalDurationMillis: Int64) {
        self.workFile = workFile
        self.size = size
        self.sha256 = sha256
        self.rung = rung
        self.width = width
        self.height = height
        self.durationMillis = durationMillis
        self.originalWidth = originalWidth
        self.originalHeight = originalHeight
        self.originalDurationMillis = originalDurationMillis
    }
}
