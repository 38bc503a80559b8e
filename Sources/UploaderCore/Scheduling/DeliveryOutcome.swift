/// What one attempt to deliver a queued item came to. The transfer side reports it; the
/// `Scheduler` alone decides what follows from it.
package enum DeliveryOutcome: Sendable, Equatable {
    case delivered(String)
    /// The same content with the same labels had been delivered before: not sent again.
    case duplicate(String)
    case rejected(String)
    /// Stays in the drop folder; `permanent` ones wait for `retry` (or a restart).
    case failed(String, permanent: Bool)
    /// The portal refused the credentials: every upload should pause.
    case unauthorized(String)
    /// The item no longer matches a file (changed, replaced, removed): nothing to do.
    case superseded(String)
    case stopped
    /// The journal cannot be written: the process must stop.
    case journalFailure(String)
}

/// What taking a settled file into the queue came to.
package enum AdmissionResult: Sendable, Equatable {
    case queued(UInt64)
    /// The same file is already in the journal, unfinished.
    case alreadyQueued(UInt64)
    case rejected
    /// Not now: still open for writing, vanished, unreadable for a passing reason.
    case deferred(String)
    /// The state folder is full: nothing new can be recorded until space is freed.
    case stateFull(String)
    /// The journal can no longer be trusted: the process must stop.
    case journalFailure(String)
}
