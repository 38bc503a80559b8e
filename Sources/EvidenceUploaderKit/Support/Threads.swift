#if canImport(Glibc)
import Glibc
#endif

/// A plain OS thread for blocking work (libcurl transfers, inotify reads), kept off Swift's
/// cooperative thread pool.
final class OSThread: @unchecked Sendable {
    private var thread = pthread_t()

    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(body))
        pthread_create(&thread, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box.toOpaque())
    }

    func join() {
        pthread_join(thread, nil)
    }
}

/// A closure that a raw pthread runs.
final class ThreadBody: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
