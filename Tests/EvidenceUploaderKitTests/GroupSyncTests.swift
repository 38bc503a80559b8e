@testable import UploaderCore
@testable import UploaderJournal
@testable import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import EvidenceUploaderKit

/// Runs `body(i)` for i in 0..<count, each on its own OS thread (not Dispatch's pool, which
/// has one thread per core: the transfer workers are threads of their own too).
private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) throws {
    let threads = try (0..<count).map { i in try OSThread { body(i) } }
    for thread in threads { thread.join() }
}

/// Counts the syncs `GroupSync` runs and checks none overlap.
private final class SyncLog: Sendable {
    let started = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let running = Atomic<Int>(0)
    let overlapped = Atomic<Bool>(false)

    func perform() {
        if running.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue > 1 { overlapped.store(true, ordering: .sequentiallyConsistent) }
        started.wrappingAdd(1, ordering: .sequentiallyConsistent)
        usleep(2_000)  // a slow disk: others arrive meanwhile
        finished.wrappingAdd(1, ordering: .sequentiallyConsistent)
        running.wrappingSubtract(1, ordering: .sequentiallyConsistent)
    }
}

@Test("group commit: every caller returns after a sync that began after its call, and concurrent callers share syncs")
func groupSyncShares() throws {
    let gate = GroupSync()
    let log = SyncLog()
    let late = Atomic<Int>(0)
    let callers = 8, rounds = 40
    try onThreads(callers) { _ in
        for _ in 0..<rounds {
            let begunBefore = log.started.load(ordering: .sequentiallyConsistent)
            try? gate.sync { log.perform() }
            // The sync numbered begunBefore + 1 began after the call; it must have finished.
            if log.finished.load(ordering: .sequentiallyConsistent) < begunBefore + 1 { late.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        }
    }
    let lateCallers = late.load(ordering: .sequentiallyConsistent)
    #expect(lateCallers == 0)
    let overlapped = log.overlapped.load(ordering: .sequentiallyConsistent)
    #expect(!overlapped)
    let started = log.started.load(ordering: .sequentiallyConsistent)
    #expect(Int(gate.syncCalls) == started)
    // 320 requests; with 8 threads waiting on 2 ms syncs most are shared.
    #expect(gate.syncCalls < UInt64(callers * rounds / 2))
}

@Test("group commit: a failed sync is kept and every later caller gets it")
func groupSyncFailureSticks() throws {
    let gate = GroupSync()
    #expect(throws: EvidenceError.self) {
        try gate.sync { () throws(EvidenceError) in throw EvidenceError(.journal, "disk gone") }
    }
    var ran = false
    #expect(throws: EvidenceError.self) { try gate.sync { ran = true } }
    #expect(!ran)
}

@Test("a patient caller shares the sync of another who comes within its patience, and syncs itself when none does")
func patientCallerSharesASync() throws {
    let gate = GroupSync()
    let log = SyncLog()
    let alone = ContinuousClock.now
    try gate.sync(patience: .milliseconds(20)) { log.perform() }
    #expect(ContinuousClock.now - alone >= .milliseconds(20))
    #expect(gate.syncCalls == 1)

    let waited = Mutex<Duration>(.zero)
    try onThreads(2) { i in
        let start = ContinuousClock.now
        if i == 1 { usleep(5_000) }  // comes 5 ms later, impatient: its sync serves both
        try? gate.sync(patience: i == 0 ? .seconds(2) : .zero) { log.perform() }
        if i == 0 { waited.withLock { $0 = ContinuousClock.now - start } }
    }
    #expect(gate.syncCalls == 2)
    #expect(waited.withLock { $0 } < .seconds(1))
    let overlapped = log.overlapped.load(ordering: .sequentiallyConsistent)
    #expect(!overlapped)
}

@Test("the journal syncs only for records that must be durable before use; one sync makes the earlier ones durable too")
func journalSyncsOnlyWhenNeeded() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let id = try journal.append(discovered("a.pdf"))
    try journal.append(.hashed(id: id, sha256: sha))
    #expect(journal.syncCalls == 0)
    try journal.append(.created(id: id, uploadURL: "http://127.0.0.1/files/a"))
    #expect(journal.syncCalls == 1)
    try journal.append(.offset(id: id, offset: 10))
    try journal.append(.delivered(id: id))
    try journal.append(.moved(id: id, destination: "unit/cand/a.pdf"))
    #expect(journal.syncCalls == 2)
    try journal.sync()
    #expect(journal.syncCalls == 3)
    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.items().first?.state == .moved)
}

@Test("the journal under concurrent writers: every record is kept, in a whole file, with fewer syncs than durable records")
func journalGroupCommit() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let files = 64
    let failures = Atomic<Int>(0)
    try onThreads(8) { worker in
        for n in stride(from: worker, to: files, by: 8) {
            do {
                let id = try journal.append(discovered("f\(n).pdf"))
                try journal.append(.hashed(id: id, sha256: sha))
                try journal.append(.created(id: id, uploadURL: "http://127.0.0.1/files/\(n)"))
                try journal.append(.delivered(id: id))
                try journal.append(.moved(id: id, destination: "f\(n).pdf"))
            } catch {
                failures.wrappingAdd(1, ordering: .sequentiallyConsistent)
            }
        }
    }
    let failed = failures.load(ordering: .sequentiallyConsistent)
    #expect(failed == 0)
    #expect(journal.syncCalls <= UInt64(2 * files))
    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.replayReport.truncatedAt == nil && reopened.replayReport.corruptionAt == nil)
    #expect(reopened.items().count == files)
    #expect(reopened.items().allSatisfy { $0.state == .moved })
}
