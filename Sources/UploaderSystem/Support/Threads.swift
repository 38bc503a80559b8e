import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// A plain OS thread for blocking work (libcurl transfers, inotify reads), kept off Swift's
/// cooperative thread pool. Started by `init`, which throws when the system cannot make the
/// thread (`EAGAIN`: the process or user thread limit): the work then never runs, and the caller
/// says so. Joined at most once, by its owner.
package final class OSThread: Sendable {
    private let thread: pthread_t

    package init(_ body: @escaping @Sendable () -> Void) throws(EvidenceError) {
        let box = Unmanaged.passRetained(ThreadBody(body))
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box.toOpaque())
        guard result == 0 else {
            box.release()  // the thread that would have taken it does not exist
            // pthread_create answers its error; it does not set errno.
            throw EvidenceError(.system, "cannot start a thread",
                                cause: SystemCallError(operation: "pthread_create", path: nil, errno: result))
        }
        self.thread = thread
    }

    package func join() {
        pthread_join(thread, nil)
    }
}

/// A closure that a raw pthread runs.
final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
