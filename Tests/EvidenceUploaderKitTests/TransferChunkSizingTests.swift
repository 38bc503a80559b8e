@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

private let mib: Int64 = 1 << 20

@Test("ChunkSizing", arguments: [
    // 100 Mbit/s (12.5 MB/s), 60 ms pause: 8 MiB takes 0.67 s, pause 9% -> grow (at most 4x per step).
    ("slow link with latency grows", 8 * mib, 8 * mib, 0.671, 0.060, 32 * mib),
    // Loopback 1 GB/s, 15 ms portal time per request: grows towards the cap.
    ("fast link, slow portal grows to the 4x step", 32 * mib, 32 * mib, 0.033, 0.015, 128 * mib),
    ("never beyond the maximum", 128 * mib, 128 * mib, 0.13, 0.015, 128 * mib),
    // 12.5 MB/s with a 1 ms pause: already under 2%, stays.
    ("cheap pause: unchanged", 8 * mib, 8 * mib, 0.671, 0.001, 8 * mib),
    ("never shrinks", 16 * mib, 16 * mib, 1.342, 0.0001, 16 * mib),
    ("a short last chunk says nothing", 8 * mib, 1 * mib, 0.1, 0.5, 8 * mib),
    ("no measurement: unchanged", 8 * mib, 8 * mib, 0, 0, 8 * mib),
] as [(String, Int64, Int64, Double, Double, Int64)])
func chunkSizing(_ name: String, _ current: Int64, _ sent: Int64, _ send: Double, _ wait: Double, _ expected: Int64) {
    let next = ChunkSizing.next(current: current, minimum: 8 * mib, maximum: 128 * mib,
                                sentBytes: sent, sendSeconds: send, waitSeconds: wait)
    #expect(next == expected, "\(name): \(next / mib) MiB")
}

@Test func chunkSizeConvergesOnALatencyLink() {
    // Simulate 100 Mbit/s and a fixed 60 ms pause: the pause must fall under 2% of a chunk.
    var size = 8 * mib
    for _ in 0..<10 {
        let send = Double(size) / 12_500_000
        size = ChunkSizing.next(current: size, minimum: 8 * mib, maximum: 128 * mib, sentBytes: size, sendSeconds: send, waitSeconds: 0.06)
    }
    let share = 0.06 / (Double(size) / 12_500_000)
    #expect(share <= 0.021, "pause share \(share) at \(size / mib) MiB")
}
