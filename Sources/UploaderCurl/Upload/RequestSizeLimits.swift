import Synchronization

/// What each portal was found to refuse per request (a proxy's body limit), remembered for the
/// daemon's life so every later upload to it starts at a size it takes. Keyed by the origin of
/// the creation URL. Shared by the transfer threads.
package final class RequestSizeLimits: Sendable {
    private let limits = Mutex<[Origin: UploadStateMachine.RequestLimit]>([:])

    package init() {}

    package func limit(for origin: Origin?) -> UploadStateMachine.RequestLimit? {
        guard let origin else { return nil }
        return limits.withLock { $0[origin] }
    }

    /// Keeps the smaller of what was known and what was learned.
    package func record(_ limit: UploadStateMachine.RequestLimit, for origin: Origin?) {
        guard let origin else { return }
        limits.withLock { known in
            if let old = known[origin], old.bytes <= limit.bytes { return }
            known[origin] = limit
        }
    }
}
