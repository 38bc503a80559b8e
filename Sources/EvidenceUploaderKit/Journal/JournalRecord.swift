/// One fact about one item, written to the journal before it is acted on.
///
/// An item is one file's journey from the drop folder to `uploaded/` (or `rejected/`). Ids are
/// assigned by the journal when `.discovered` is appended and increase.
public enum JournalRecord: Sendable, Equatable {
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

    public var id: UInt64 {
        switch self {
        case let .discovered(id, _, _, _, _, _, _, _, _, _): id
        case let .hashed(id, _): id
        case let .created(id, _): id
        case let .offset(id, _): id
        case let .delivered(id): id
        case let .moved(id, _): id
        case let .rejected(id, _, _): id
        case let .abandoned(id, _): id
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
        }
    }

    public var typeName: String {
        switch self {
        case .discovered: "discovered"
        case .hashed: "hashed"
        case .created: "created"
        case .offset: "offset"
        case .delivered: "delivered"
        case .moved: "moved"
        case .rejected: "rejected"
        case .abandoned: "abandoned"
        }
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
        }
    }

    /// One readable line, control characters escaped.
    public var dumpLine: String {
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
        }
    }
}
