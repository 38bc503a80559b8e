@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

struct TransferDelayCase: Sendable, CustomStringConvertible {
    let attempt: Int
    let retryAfter: Int?
    let random: Double
    let expected: Double
    var policy = RetryPolicy()
    var description: String { "attempt \(attempt), Retry-After \(retryAfter.map(String.init) ?? "none"), random \(random) → \(expected)" }
}

@Test("RetryPolicy.delaySeconds", arguments: [
    // Exponential growth, random 1 = the full delay.
    TransferDelayCase(attempt: 1, retryAfter: nil, random: 1, expected: 1),
    TransferDelayCase(attempt: 2, retryAfter: nil, random: 1, expected: 2),
    TransferDelayCase(attempt: 3, retryAfter: nil, random: 1, expected: 4),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 1, expected: 8),
    TransferDelayCase(attempt: 6, retryAfter: nil, random: 1, expected: 32),
    // Cap.
    TransferDelayCase(attempt: 7, retryAfter: nil, random: 1, expected: 60),
    TransferDelayCase(attempt: 8, retryAfter: nil, random: 1, expected: 60),
    TransferDelayCase(attempt: 1000, retryAfter: nil, random: 1, expected: 60),
    TransferDelayCase(attempt: Int.max, retryAfter: nil, random: 1, expected: 60),
    // Jitter: random 0 = half, in between linear.
    TransferDelayCase(attempt: 1, retryAfter: nil, random: 0, expected: 0.5),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 0, expected: 4),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 0.5, expected: 6),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 0.25, expected: 5),
    TransferDelayCase(attempt: 7, retryAfter: nil, random: 0, expected: 30),
    TransferDelayCase(attempt: 50, retryAfter: nil, random: 0.5, expected: 45),
    // Random outside 0...1 is clamped.
    TransferDelayCase(attempt: 1, retryAfter: nil, random: -3, expected: 0.5),
    TransferDelayCase(attempt: 1, retryAfter: nil, random: 7, expected: 1),
    // Attempt 0 or negative is treated as the first.
    TransferDelayCase(attempt: 0, retryAfter: nil, random: 1, expected: 1),
    TransferDelayCase(attempt: -5, retryAfter: nil, random: 1, expected: 1),
    // Retry-After: never less than asked, never more than the cap.
    TransferDelayCase(attempt: 1, retryAfter: 10, random: 0, expected: 10),
    TransferDelayCase(attempt: 1, retryAfter: 10, random: 1, expected: 10),
    TransferDelayCase(attempt: 6, retryAfter: 10, random: 1, expected: 32),
    TransferDelayCase(attempt: 6, retryAfter: 20, random: 0, expected: 20),
    TransferDelayCase(attempt: 1, retryAfter: 60, random: 0, expected: 60),
    TransferDelayCase(attempt: 1, retryAfter: 120, random: 0, expected: 60),
    TransferDelayCase(attempt: 1, retryAfter: 86_400, random: 1, expected: 60),
    TransferDelayCase(attempt: 1, retryAfter: 0, random: 0, expected: 0.5),
    TransferDelayCase(attempt: 1, retryAfter: -5, random: 1, expected: 1),
    // Other policies.
    TransferDelayCase(attempt: 3, retryAfter: nil, random: 1, expected: 4.5,
              policy: RetryPolicy(initialDelaySeconds: 0.5, multiplier: 3, maxDelaySeconds: 10)),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 1, expected: 10,
              policy: RetryPolicy(initialDelaySeconds: 0.5, multiplier: 3, maxDelaySeconds: 10)),
    TransferDelayCase(attempt: 4, retryAfter: nil, random: 0, expected: 5,
              policy: RetryPolicy(initialDelaySeconds: 0.5, multiplier: 3, maxDelaySeconds: 10)),
    TransferDelayCase(attempt: 2, retryAfter: 30, random: 0, expected: 10,
              policy: RetryPolicy(initialDelaySeconds: 0.5, multiplier: 3, maxDelaySeconds: 10)),
    TransferDelayCase(attempt: 1, retryAfter: nil, random: 1, expected: 100,
              policy: RetryPolicy(initialDelaySeconds: 200, multiplier: 2, maxDelaySeconds: 100)),
])
func retryDelay(_ c: TransferDelayCase) {
    #expect(c.policy.delaySeconds(attempt: c.attempt, retryAfterSeconds: c.retryAfter, random: c.random) == c.expected)
}

@Test("RetryPolicy: the delay stays within [half, full] of the capped exponential for any random",
      arguments: 1...12)
func retryJitterRange(_ attempt: Int) {
    let policy = RetryPolicy()
    var full = 1.0
    for _ in 1..<attempt { full *= 2 }
    full = min(full, 60)
    var previous = -1.0
    for step in 0...100 {
        let delay = policy.delaySeconds(attempt: attempt, retryAfterSeconds: nil, random: Double(step) / 100)
        #expect(delay >= full / 2 && delay <= full)
        #expect(delay >= previous)
        previous = delay
    }
}

@Test("RetryPolicy.shouldGiveUp", arguments: [
    (Int?.some(8), 0, false), (8, 1, false), (8, 8, false), (8, 9, true), (8, 100, true),
    (0, 0, false), (0, 1, true),
    (1, 1, false), (1, 2, true),
    (nil, 0, false), (nil, 9, false), (nil, 1_000_000, false), (nil, Int.max, false),
])
func retryGiveUp(_ max: Int?, _ attempts: Int, _ expected: Bool) {
    #expect(RetryPolicy(maxAttemptsWithoutProgress: max).shouldGiveUp(afterAttempts: attempts) == expected)
}

@Test("RetryPolicy defaults")
func retryDefaults() {
    let policy = RetryPolicy()
    #expect(policy.initialDelaySeconds == 1)
    #expect(policy.multiplier == 2)
    #expect(policy.maxDelaySeconds == 60)
    #expect(policy.maxAttemptsWithoutProgress == 8)
}
