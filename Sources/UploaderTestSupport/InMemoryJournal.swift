#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Synchronization
@testable import UploaderCore
@testable import UploaderJournal

/// The journal in memory: the same fold (`JournalState`) and the same refusal of records for
/// finished or unknown items as `Journal`, every appended record kept in order, and faults on
/// demand (the next record that matches fails with the given error).
final class InMemoryJournal: ItemJournal {
    private struct Inner {
        var state = JournalState()
        var records: [JournalRecord] = []
        var faults: [(matches: @Sendable (JournalRecord) -> Bool, error: EvidenceError)] = []
    }

    private let inner = Mutex(Inner())

    init() {}

    @discardableResult
    func append(_ record: JournalRecord) throws(EvidenceError) -> UInt64 {
        try inner.withLock { (inner: inout Inner) throws(EvidenceError) -> UInt64 in
            var record = record
            if case .discovered = record {
                record = record.withID(inner.state.nextID)
            } else if !inner.state.accepts(record) {
                throw EvidenceError(.journal, "cannot record \(record.typeName) for item \(record.id): the journal has no unfinished item with that id")
            }
            if let index = inner.faults.firstIndex(where: { $0.matches(record) }) {
                throw inner.faults.remove(at: index).error
            }
            inner.state.apply(record)
            inner.records.append(record)
            return record.id
        }
    }

    func item(id: UInt64) -> JournalItem? {
        inner.withLock { $0.state.items[id] }
    }

    func item(forRelativePath relativePath: String) -> JournalItem? {
        inner.withLock { $0.state.unfinishedItem(forRelativePath: relativePath) }
    }

    func finishedItem(sha256: String, labels: EvidenceLabels) -> JournalItem? {
        inner.withLock { $0.state.finishedItem(sha256: sha256, labels: labels) }
    }

    /// Every record appended, in order.
    var records: [JournalRecord] { inner.withLock { $0.records } }

    /// The records appended for one item, by type name ("hashed", "created"...), in order.
    func recordNames(of id: UInt64) -> [String] {
        records.filter { $0.id == id }.map(\.typeName)
    }

    /// The next record that matches fails with `error` (and is not applied).
    func failNext(_ error: EvidenceError, when matches: @escaping @Sendable (JournalRecord) -> Bool) {
        inner.withLock { $0.faults.append((matches, error)) }
    }
}
#endif
