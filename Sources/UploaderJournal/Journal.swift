import Synchronization
import UploaderCore
import UploaderSystem

/// The crash-safe journal in the state folder: every step that matters is appended and
/// `fdatasync`ed before it is acted on. Internally locked; safe from several upload threads,
/// whose syncs are shared (group commit, `GroupSync`): records that land together cost one
/// `fdatasync`, and the sync runs outside the lock so other threads keep writing meanwhile.
/// Records about the evidence folders (`moved`) wait until those folders are synced, many at a
/// time (`settle()`).
///
/// `@unchecked Sendable`: its state is in a `Mutex` and its syncs go through `GroupSync`; the
/// `let`s are set once in `init`.
public final class Journal: @unchecked Sendable {
    struct Inner {
        var file: JournalFile
        var state: JournalState
        /// The frames of `.afterFolders` records (`moved`), in order, not yet written: already
        /// in `state`, on disk once the evidence folders are synced.
        var held: [UInt8] = []
        var heldCount = 0
    }

    private let inner: Mutex<Inner>
    private let syncs = GroupSync()
    /// What `settle()` syncs before writing the held records; nil: they are written at once.
    private let folders: FileSystemSync?
    /// One settle or compaction at a time: records taken to be written must not be compacted
    /// meanwhile, before their folders are synced.
    private let settling = Mutex<Void>(())
    package let replayReport: ReplayReport
    let path: String

    /// Held records beyond which the next one settles at once (a long `run --once` that never
    /// reaches a routine settle keeps a bounded number waiting).
    static let heldLimit = 256

    private init(file: JournalFile, state: JournalState, report: ReplayReport, folders: FileSystemSync?) {
        path = file.path
        replayReport = report
        self.folders = folders
        inner = Mutex(Inner(file: file, state: state))
    }

    /// Opens or creates `<stateDirectory>/journal` (fsyncing the directory on create) and replays
    /// it: a torn tail is cut back to the last whole record; damage in the middle keeps a copy of
    /// the journal, is reported in `replayReport.corruptionAt`, and every readable record is kept.
    /// `folders`: the evidence folders `moved` records wait for (see `settle()`); without them a
    /// `moved` record is written at once, like `hashed`.
    package static func open(stateDirectory: String, folders: FileSystemSync?) throws(EvidenceError) -> Journal {
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
        return Journal(file: file, state: state, report: report, folders: folders)
    }

    /// Opens the journal for commands that move no file (`journal verify`, `compact`, `dump`).
    public static func open(stateDirectory: String) throws(EvidenceError) -> Journal {
        try open(stateDirectory: stateDirectory, folders: nil)
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

    /// Appends one record, as durable as it needs to be (`JournalRecord.durability`): synced
    /// before returning (which also makes every record written before it durable), written for
    /// the next sync, or held until the evidence folders are synced (`settle()`). Either way the
    /// journal's state has it at once. Returns the new item id for `.discovered` (whose id
    /// argument is ignored), otherwise the record's id.
    @discardableResult
    package func append(_ record: JournalRecord) throws(EvidenceError) -> UInt64 {
        let durability = folders == nil && record.durability == .afterFolders ? .withNextSync : record.durability
        let (id, held) = try inner.withLock { (inner: inout Inner) throws(EvidenceError) -> (UInt64, Int) in
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
            if durability == .afterFolders {
                inner.held.append(contentsOf: JournalFrame.encode(payload: payload))
                inner.heldCount += 1
            } else {
                try inner.file.write(JournalFrame.encode(payload: payload))
            }
            inner.state.apply(record)
            return (record.id, inner.heldCount)
        }
        if durability == .beforeUse { try sync(patience: record.syncPatience) }
        // Failing here leaves the records held, for the next settle: this record is in.
        if held >= Self.heldLimit { try? settle() }
        return id
    }

    /// Syncs the evidence folders' file systems once (`FileSystemSync`), then writes the records
    /// held for them (`moved`), which the next journal sync makes durable. When the folders
    /// cannot be synced the records stay held; if the process ends first they are lost, and
    /// each of their items is finished again at the next start (found by inode in `uploaded/`,
    /// its receipt written again). Called every second by the daemon, when a run ends, and when
    /// `heldLimit` records wait.
    package func settle() throws(EvidenceError) {
        guard let folders else { return }
        try settling.withLock { (_: inout Void) throws(EvidenceError) in try settle(folders) }
    }

    private func settle(_ folders: FileSystemSync) throws(EvidenceError) {
        let (taken, count) = inner.withLock { inner in
            defer { inner.held = []; inner.heldCount = 0 }
            return (inner.held, inner.heldCount)
        }
        guard count > 0 else { return }
        if let error = folders.sync() {
            inner.withLock { inner in
                inner.held = taken + inner.held
                inner.heldCount += count
            }
            throw EvidenceError(.system, "cannot sync the folders of the moved files; their records wait", cause: error)
        }
        try inner.withLock { (inner: inout Inner) throws(EvidenceError) in
            do throws(EvidenceError) {
                try inner.file.write(taken)
            } catch {
                inner.held = taken + inner.held
                inner.heldCount += count
                throw error
            }
        }
    }

    /// Records held for the evidence folders' sync (for the tests).
    var heldRecords: Int { inner.withLock { $0.heldCount } }

    /// Makes every record appended so far durable (shared with any other thread syncing now;
    /// with `patience`, after waiting up to that long for another thread to sync).
    package func sync(patience: Duration = .zero) throws(EvidenceError) {
        try syncs.sync(patience: patience) { () throws(EvidenceError) in
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
        try settling.withLock { (_: inout Void) throws(EvidenceError) in try syncs.exclusive { () throws(EvidenceError) in
            try inner.withLock { (inner: inout Inner) throws(EvidenceError) in
                // The new file holds the state, held records included: their folders first.
                if inner.heldCount > 0, let folders {
                    if let error = folders.sync() {
                        throw EvidenceError(.system, "cannot sync the folders of the moved files before compacting", cause: error)
                    }
                    inner.held = []
                    inner.heldCount = 0
                }
                let records = JournalCompaction.records(for: inner.state, finishedTail: finishedTail)
                var image = JournalFrame.header
                for record in records { image.append(contentsOf: JournalFrame.encode(record)) }
                try inner.file.replace(with: image)
                var state = JournalState(records: records)
                state.nextID = max(state.nextID, inner.state.nextID)
                inner.state = state
            }
        } }
    }

    /// The size of the journal file in bytes.
    public var fileSize: Int64 { inner.withLock { $0.file.end } }

    /// Test seam: the next write or sync fails as given.
    func injectFault(_ fault: JournalFault) {
        inner.withLock { $0.file.fault = fault }
    }
}
