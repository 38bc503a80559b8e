import Synchronization
import UploaderCore
import UploaderSystem

/// The crash-safe journal in the state folder: every step that matters is appended and
/// `fdatasync`ed before it is acted on. Internally locked; safe from several upload threads,
/// whose syncs are shared (group commit, `GroupSync`): records that land together cost one
/// `fdatasync`, and the sync runs outside the lock so other threads keep writing meanwhile.
///
/// `@unchecked Sendable`: its state is in a `Mutex` and its syncs go through `GroupSync`; the
/// `let`s are set once in `init`.
public final class Journal: @unchecked Sendable {
    struct Inner {
        var file: JournalFile
        var state: JournalState
    }

    private let inner: Mutex<Inner>
    private let syncs = GroupSync()
    package let replayReport: ReplayReport
    let path: String

    private init(file: JournalFile, state: JournalState, report: ReplayReport) {
        path = file.path
        replayReport = report
        inner = Mutex(Inner(file: file, state: state))
    }

    /// Opens or creates `<stateDirectory>/journal` (fsyncing the directory on create) and replays
    /// it: a torn tail is cut back to the last whole record; damage in the middle keeps a copy of
    /// the journal, is reported in `replayReport.corruptionAt`, and every readable record is kept.
    public static func open(stateDirectory: String) throws(EvidenceError) -> Journal {
        let (file, bytes) = try JournalFile.open(directory: stateDirectory)
        var scan = JournalScan(bytes)
        switch scan.headerProblem {
        case nil: break
        case .tornHeader:
            // Killed while creating it: nothing was ever recorded.
            try file.replace(with: JournalFrame.header)
            scan = JournalScan(JournalFrame.header)
        case .badMagic:
            throw EvidenceError(.journal, "\(file.path.debugQuoted) is not an Evidence Uploader journal (its first bytes are wrong); it was left untouched, move it away to start a new one")
        case let .unsupportedVersion(version):
            throw EvidenceError(.journal, "\(file.path.debugQuoted) has journal format version \(version); this program reads version \(JournalFrame.version)")
        }

        var report = ReplayReport()
        report.recordsRead = scan.entries.count
        if let tailAt = scan.tailAt {
            report.truncatedAt = Int64(tailAt)
            report.truncatedBytes = Int64(scan.tailBytes)
        }
        if let first = scan.damage.first {
            report.corruptionAt = Int64(first.offset)
            report.corruptCopyPath = try file.keepCorruptCopy(bytes)
            var image = JournalFrame.header
            image.reserveCapacity(bytes.count)
            for entry in scan.entries { image.append(contentsOf: bytes[entry.offset..<entry.end]) }
            try file.replace(with: image)
        } else if let tailAt = scan.tailAt {
            try file.truncate(to: Int64(tailAt))
        }
        let state = JournalState(records: scan.entries.lazy.map(\.record))
        report.orphanRecords = state.orphanRecords
        report.orphanUploadURLs = state.orphanUploadURLs
        return Journal(file: file, state: state, report: report)
    }

    /// Every item, by id.
    func items() -> [JournalItem] {
        inner.withLock { $0.state.sortedItems }
    }

    /// Items not moved, rejected or abandoned, by id.
    package func unfinished() -> [JournalItem] {
        inner.withLock { $0.state.unfinished }
    }

    /// The paths of the items not moved, rejected or abandoned (no copy of the items themselves).
    package func unfinishedPaths() -> Set<String> {
        inner.withLock { inner in
            var paths = Set<String>(minimumCapacity: inner.state.items.count)
            for item in inner.state.items.values where !item.state.isFinished { paths.insert(item.relativePath) }
            return paths
        }
    }

    /// One item by id.
    package func item(id: UInt64) -> JournalItem? {
        inner.withLock { $0.state.items[id] }
    }

    /// The latest unfinished item for a relative path.
    package func item(forRelativePath relativePath: String) -> JournalItem? {
        inner.withLock { $0.state.unfinishedItem(forRelativePath: relativePath) }
    }

    /// The latest moved item with this content and these labels.
    package func finishedItem(sha256: String, labels: EvidenceLabels) -> JournalItem? {
        inner.withLock { $0.state.finishedItem(sha256: sha256, labels: labels) }
    }

    /// Appends one record, and when it must be durable before it is used
    /// (`JournalRecord.mustBeDurableBeforeUse`) `fdatasync`s before returning, which also makes
    /// every record written before it durable. Returns the new item id for `.discovered` (whose
    /// id argument is ignored), otherwise the record's id.
    @discardableResult
    package func append(_ record: JournalRecord) throws(EvidenceError) -> UInt64 {
        let id = try inner.withLock { (inner: inout Inner) throws(EvidenceError) -> UInt64 in
            var record = record
            if case .discovered = record {
                record = record.withID(inner.state.nextID)
            } else if !inner.state.accepts(record) {
                throw EvidenceError(.journal, "cannot record \(record.typeName) for item \(record.id): the journal has no unfinished item with that id")
            }
            let payload = RecordCodec.encode(record)
            guard payload.count <= JournalFrame.maxPayload else {
                throw EvidenceError(.journal, "a \(record.typeName) record of \(payload.count) bytes is over the 1 MiB limit")
            }
            try inner.file.write(JournalFrame.encode(payload: payload))
            inner.state.apply(record)
            return record.id
        }
        if record.mustBeDurableBeforeUse { try sync() }
        return id
    }

    /// Makes every record appended so far durable (shared with any other thread syncing now).
    package func sync() throws(EvidenceError) {
        try syncs.sync { () throws(EvidenceError) in
            let plan = try inner.withLock { (inner: inout Inner) throws(EvidenceError) in try inner.file.syncPlan() }
            do throws(SystemCallError) {
                try JournalFile.dataSync(plan)
            } catch {
                throw inner.withLock { $0.file.poison(error) }
            }
        }
    }

    /// `fdatasync` calls made since the journal was opened (for the tests: how much was shared).
    var syncCalls: UInt64 { syncs.syncCalls }

    /// Rewrites the journal with only the unfinished items (one synthesized record set each) and
    /// the last 1000 finished ones: write temp, fsync, rename, fsync the directory.
    public func compact() throws(EvidenceError) {
        try compact(finishedTail: JournalCompaction.defaultFinishedTail)
    }

    func compact(finishedTail: Int) throws(EvidenceError) {
        // No sync may run on the old descriptor while the file is swapped; the new file is
        // durable as written.
        try syncs.exclusive { () throws(EvidenceError) in
            try inner.withLock { (inner: inout Inner) throws(EvidenceError) in
                let records = JournalCompaction.records(for: inner.state, finishedTail: finishedTail)
                var image = JournalFrame.header
                for record in records { image.append(contentsOf: JournalFrame.encode(record)) }
                try inner.file.replace(with: image)
                var state = JournalState(records: records)
                state.nextID = max(state.nextID, inner.state.nextID)
                inner.state = state
            }
        }
    }

    /// The size of the journal file in bytes.
    public var fileSize: Int64 { inner.withLock { $0.file.end } }

    /// Test seam: the next write or sync fails as given.
    func injectFault(_ fault: JournalFault) {
        inner.withLock { $0.file.fault = fault }
    }
}
