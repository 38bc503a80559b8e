import Synchronization
import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// Group commit: threads that each need what they wrote to be on disk share one sync call.
///
/// A caller writes, then calls `sync(_:)`. A sync covers every write finished before it began, so
/// the caller needs the next sync to *begin* after its call: when none is running it runs one
/// itself; when one is running (it may have begun before the write) it waits for it, and then
/// the first waiter to wake runs one more for all who came meanwhile. N threads arriving during
/// one sync cost two syncs, not N. A caller that can wait a moment (`patience`) first waits that
/// long for another caller's sync to cover its write, and syncs itself only if none came: on a
/// fast disk syncs seldom overlap by chance, and this makes them.
///
/// A failed sync is never retried (the kernel may have dropped the dirty pages it could not
/// write): it is kept, and every later `sync(_:)` throws it.
///
/// `@unchecked Sendable`: the counters are only read and written while `mutex` is held, and the
/// condition variable is only waited on with it held.
package final class GroupSync: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Syncs begun and syncs finished (a sync's number is `begun` when it starts).
    private var begun: UInt64 = 0
    private var finished: UInt64 = 0
    private var running = false
    private var failure: EvidenceError?
    private var calls: UInt64 = 0

    package init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)  // `patience` is not moved by clock changes
        pthread_cond_init(changed, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Returns once a sync that began after this call has finished. `perform` is the sync itself
    /// (every caller passes the same one, for example `fdatasync` of the journal); it is called
    /// with no lock held, never by two threads at once. With `patience`, the caller first waits
    /// up to that long for another caller to start that sync.
    package func sync(patience: Duration = .zero, _ perform: () throws(EvidenceError) -> Void) throws(EvidenceError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let needed = begun + 1
        if patience > .zero {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let (seconds, attoseconds) = patience.components
            let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
            deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
            deadline.tv_nsec = nanoseconds % 1_000_000_000
            // Until a sync that covers the write has begun (it is then waited for below), or time is up.
            while begun < needed && failure == nil {
                if pthread_cond_timedwait(changed, mutex, &deadline) == ETIMEDOUT { break }
            }
        }
        while finished < needed {
            if let failure { throw failure }
            if !running {
                begun += 1
                calls += 1
                running = true
                pthread_cond_broadcast(changed)  // the patient: a sync that covers them has begun
                pthread_mutex_unlock(mutex)
                var error: EvidenceError?
                do { try perform() } catch let failed { error = failed }
                pthread_mutex_lock(mutex)
                running = false
                finished = begun
                if let error, failure == nil { failure = error }
                pthread_cond_broadcast(changed)
            } else {
                pthread_cond_wait(changed, mutex)
            }
        }
        if let failure { throw failure }
    }

    /// Runs `body` with no sync running and none able to start (a journal compaction swaps the
    /// file a sync would use). What `body` leaves must be durable by itself.
    package func exclusive<T>(_ body: () throws(EvidenceError) -> T) throws(EvidenceError) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while running { pthread_cond_wait(changed, mutex) }
        return try body()
    }

    /// How many sync calls were made (for the tests: how much sharing there was).
    package var syncCalls: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return calls
    }
}

/// Folder fsyncs shared by the threads moving files into the same folder at the same time: one
/// `GroupSync` per folder while anyone is using it.
final class FolderSyncs: Sendable {
    static let shared = FolderSyncs()

    private struct Entry: Sendable {
        let gate: GroupSync
        var users: Int
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Makes the renames done in `path` so far durable. Best effort, as a folder sync has always
    /// been here: a folder that cannot be opened or synced is not an error for the file moved.
    func sync(_ path: String) {
        let gate = entries.withLock { entries in
            var entry = entries[path] ?? Entry(gate: GroupSync(), users: 0)
            entry.users += 1
            entries[path] = entry
            return entry.gate
        }
        defer {
            entries.withLock { entries in
                guard var entry = entries[path] else { return }
                entry.users -= 1
                entries[path] = entry.users == 0 ? nil : entry
            }
        }
        try? gate.sync {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return }
            fsync(fd)
            close(fd)
        }
    }
}
