import UploaderSystem

/// How an upload session waits before trying again, stated once for the tus and the S3 session:
/// its machine says which attempt this is and what the server asked (`Retry-After`); the
/// `RetryPolicy` turns that into a delay with jitter; the observer hears of it, with the cause of
/// the failure being retried; the wait ends at once, as `.cancelled`, when the upload is stopped.
struct Backoff {
    let policy: RetryPolicy
    let stop: StopSignal
    private var random = SystemRandomNumberGenerator()
    /// The failure the session last handed its machine: the one a backoff answers.
    private var lastFailure: TusFailure? = nil

    init(policy: RetryPolicy, stop: StopSignal) {
        self.policy = policy
        self.stop = stop
    }

    /// Remembers a failure handed to the machine, so the wait that follows can say its cause.
    mutating func remember(_ failure: TusFailure) {
        lastFailure = failure
    }

    /// Waits before attempt `attempt`; throws `.cancelled` when the upload is stopped meanwhile.
    mutating func wait(attempt: Int, retryAfterSeconds: Int?, reason: String,
                       observer: (any UploadObserver)?) throws(TusFailure) {
        let seconds = policy.delaySeconds(attempt: attempt, retryAfterSeconds: retryAfterSeconds,
                                          random: Double.random(in: 0..<1, using: &random))
        observer?.retrying(inSeconds: seconds, attempt: attempt, cause: lastFailure?.retryCause ?? .other, reason: reason)
        guard stop.sleep(seconds: seconds) else { throw .cancelled }
    }

    /// A failure the machine retries at once (a 409, a lost upload): still worth a line.
    func retryingNow(after failure: TusFailure, attempt: Int, observer: (any UploadObserver)?) {
        observer?.retrying(inSeconds: 0, attempt: attempt, cause: failure.retryCause, reason: failure.summary)
    }
}

/// Failures in a row without progress, the count both upload machines keep, and whether the
/// policy allows one more try. Pure, like the machines.
struct FailureStreak: Sendable, Equatable {
    let policy: RetryPolicy
    private(set) var count = 0

    init(policy: RetryPolicy) {
        self.policy = policy
    }

    /// Counts one more failure; false when the policy gives up.
    mutating func allowsAnother() -> Bool {
        count += 1
        return !policy.shouldGiveUp(afterAttempts: count)
    }

    /// Progress was made: the next failure is the first again.
    mutating func reset() {
        count = 0
    }
}
