/// How long to wait before trying again: exponential backoff with jitter and a cap, and the
/// server's `Retry-After` honoured (never waiting less than it asks, never more than the cap).
/// Pure: the caller supplies the random number, so tests need no clock and no randomness.
package struct RetryPolicy: Sendable, Equatable {
    var initialDelaySeconds: Double = 1
    var multiplier: Double = 2
    var maxDelaySeconds: Double = 60
    /// Consecutive failures without progress before an upload gives up; nil = never (the daemon).
    var maxAttemptsWithoutProgress: Int? = 8

    package init(initialDelaySeconds: Double = 1, multiplier: Double = 2, maxDelaySeconds: Double = 60,
                maxAttemptsWithoutProgress: Int? = 8) {
        self.initialDelaySeconds = initialDelaySeconds
        self.multiplier = multiplier
        self.maxDelaySeconds = maxDelaySeconds
        self.maxAttemptsWithoutProgress = maxAttemptsWithoutProgress
    }

    /// The delay before attempt `attempt` (1 = the first retry). `random` in 0..<1 spreads the
    /// delay over its upper half ("equal jitter"), so many clients do not retry in step.
    func delaySeconds(attempt: Int, retryAfterSeconds: Int?, random: Double) -> Double {
        var exponential = initialDelaySeconds
        for _ in 1..<max(1, attempt) {
            exponential *= multiplier
            if exponential >= maxDelaySeconds { break }
        }
        exponential = min(exponential, maxDelaySeconds)
        let jittered = exponential / 2 + exponential / 2 * min(max(random, 0), 1)
        if let retryAfterSeconds, retryAfterSeconds > 0 {
            return min(max(jittered, Double(retryAfterSeconds)), maxDelaySeconds)
        }
        return jittered
    }

    func shouldGiveUp(afterAttempts attempts: Int) -> Bool {
        guard let max = maxAttemptsWithoutProgress else { return false }
        return attempts > max
    }
}
