/// How big the next PATCH should be. Every chunk ends with a pause: the portal must answer
/// before the next chunk may start (tus offsets are sequential), so a link with latency, or a
/// portal that takes a while per request, sits idle once per chunk. The size starts at
/// `chunk_size` and grows (up to `max_chunk_size`) while that pause costs more than `idleShare`
/// of the chunk's time, so the link stays busy; it never shrinks below `chunk_size`.
/// Pure: the session measures, this decides.
enum ChunkSizing {
    static let idleShare = 0.02

    static func next(current: Int64, minimum: Int64, maximum: Int64, sentBytes: Int64,
                            sendSeconds: Double, waitSeconds: Double) -> Int64 {
        guard sentBytes >= current / 2, sendSeconds > 0, waitSeconds > 0 else { return current }
        let rate = Double(sentBytes) / sendSeconds
        // Chunk time T = size / rate; the pause is at most idleShare of T when size >= rate * wait / idleShare.
        let wanted = rate * waitSeconds / idleShare
        var size = max(Double(current), min(Double(maximum), wanted))
        // Grow at most 4x per chunk, to keep one bad measurement from jumping to the top.
        size = min(size, Double(current) * 4)
        let mib = Double(1 << 20)
        let rounded = Int64((size / mib).rounded(.up)) << 20
        return min(max(rounded, minimum), maximum)
    }
}
