/// ffmpeg's `-progress` output: blocks of `key=value` lines, each ending with `progress=continue`
/// (or `progress=end`). Fed bytes as they come; keeps the time encoded so far. Pure.
struct FFmpegProgress: Sendable {
    /// Microseconds of the output written so far.
    private(set) var outTimeMicros: Int64 = 0
    private(set) var ended = false
    private var partial: [UInt8] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                line(String(decoding: partial, as: UTF8.self))
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < 4096 {
                partial.append(byte)
            }
        }
    }

    private mutating func line(_ text: String) {
        guard let eq = text.firstIndex(of: "=") else { return }
        let key = text[..<eq].trimmingSpaces
        let value = text[text.index(after: eq)...].trimmingSpaces
        switch key {
        // ffmpeg 5.1 writes both, and out_time_ms is in microseconds too (a known misnomer).
        case "out_time_us", "out_time_ms":
            if let micros = Int64(value), micros >= 0 { outTimeMicros = micros }
        case "progress":
            if value == "end" { ended = true }
        default:
            break
        }
    }

    /// The fraction done of a source `durationSeconds` long, 0...1.
    func fraction(durationSeconds: Double) -> Double {
        guard durationSeconds > 0 else { return 0 }
        return min(1, max(0, Double(outTimeMicros) / 1_000_000 / durationSeconds))
    }

    /// "compressing 42 %, about 6 min left" from the overall fraction and the seconds spent.
    static func statusText(fraction: Double, elapsedSeconds: Double) -> String {
        let percent = Int((fraction * 100).rounded(.down))
        guard fraction >= 0.02, elapsedSeconds > 1 else { return "compressing \(percent) %" }
        let left = elapsedSeconds / fraction * (1 - fraction)
        if left < 60 { return "compressing \(percent) %, less than a minute left" }
        let words = left < 3600 ? "\(Int((left / 60).rounded())) min"
            : "\(Int(left / 3600)) h \(Int(left.truncatingRemainder(dividingBy: 3600) / 60)) min"
        return "compressing \(percent) %, about \(words) left"
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\r" }.reversed())
    }
}
