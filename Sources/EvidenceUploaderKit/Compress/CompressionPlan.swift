import UploaderCore

/// Which rung a video is compressed to, so that it fits under the limit: a pure function of the
/// limit and what ffprobe said, tested by tables (`CompressionPlanTests`).
///
/// Budget: (limit × 8 / duration) × (1 − margin) − audio. The highest rung whose minimum video
/// bitrate the budget reaches wins (HandBrake's rungs: 2400 / 1250 / 550 / 270 kbps), never above
/// the source's own resolution; the bitrate is the budget, capped at the rung's ceiling (beyond it
/// only the file grows, not what a moderator sees).
struct CompressionRung: Sendable, Equatable {
    /// The shorter side of the picture: 1080, 720, 480, 360.
    let lines: Int
    let minVideoKbps: Int
    let maxVideoKbps: Int
    let audioKbps: Int

    var name: String { "\(lines)p" }

    static let ladder: [CompressionRung] = [
        CompressionRung(lines: 1080, minVideoKbps: 2400, maxVideoKbps: 6000, audioKbps: 128),
        CompressionRung(lines: 720, minVideoKbps: 1250, maxVideoKbps: 3500, audioKbps: 128),
        CompressionRung(lines: 480, minVideoKbps: 550, maxVideoKbps: 1600, audioKbps: 96),
        CompressionRung(lines: 360, minVideoKbps: 270, maxVideoKbps: 900, audioKbps: 64),
    ]
}

struct CompressionPlan: Sendable, Equatable {
    let rung: CompressionRung
    let videoKbps: Int
    /// 0 when the source has no sound.
    let audioKbps: Int
    /// The output's picture size (even numbers, aspect ratio kept).
    let width: Int
    let height: Int
    /// Roughly what the file will weigh.
    let expectedBytes: Int64

    /// Room left for the MP4 container and the encoder's error (two-pass lands within ~0.5 %).
    static let margin = 0.04

    enum Choice: Sendable, Equatable {
        case fits(CompressionPlan)
        /// Even the lowest rung is over the limit: split into parts of at most `maxMinutes`.
        case tooLong(maxMinutes: Int)
        /// No duration or picture: nothing to plan from.
        case unreadable
    }

    /// The plan for a source of `durationSeconds` at `width`×`height` (`hasAudio`) under
    /// `limitBytes`, starting at rung `from` (0 = 1080p; a result still over the limit is tried
    /// again one rung lower).
    static func choose(limitBytes: Int64, durationSeconds: Double, width: Int, height: Int, hasAudio: Bool,
                              from start: Int = 0) -> Choice {
        guard durationSeconds.isFinite, durationSeconds > 0, width > 0, height > 0, limitBytes > 0 else { return .unreadable }
        let totalKbps = Double(limitBytes) * 8 / durationSeconds / 1000 * (1 - margin)
        let sourceLines = min(width, height)
        for (index, rung) in CompressionRung.ladder.enumerated() where index >= start {
            // Never upscale, but a source smaller than 360p is still re-encoded at its own size.
            if rung.lines > sourceLines && index < CompressionRung.ladder.count - 1 { continue }
            let audio = hasAudio ? rung.audioKbps : 0
            let video = Int(totalKbps) - audio
            guard video >= rung.minVideoKbps else { continue }
            let kbps = min(video, rung.maxVideoKbps)
            let (w, h) = scaled(width: width, height: height, lines: min(rung.lines, sourceLines))
            let expected = Int64(Double(kbps + audio) * 1000 / 8 * durationSeconds)
            return .fits(CompressionPlan(rung: rung, videoKbps: kbps, audioKbps: audio, width: w, height: h, expectedBytes: expected))
        }
        return .tooLong(maxMinutes: maxMinutes(limitBytes: limitBytes, hasAudio: hasAudio))
    }

    /// The longest part, in whole minutes, that still fits at the lowest rung.
    static func maxMinutes(limitBytes: Int64, hasAudio: Bool) -> Int {
        let lowest = CompressionRung.ladder[CompressionRung.ladder.count - 1]
        let kbps = Double(lowest.minVideoKbps + (hasAudio ? lowest.audioKbps : 0))
        let seconds = Double(limitBytes) * 8 * (1 - margin) / (kbps * 1000)
        return max(1, Int(seconds / 60))
    }

    /// The picture scaled so its shorter side has `lines`, both sides even, aspect ratio kept.
    static func scaled(width: Int, height: Int, lines: Int) -> (Int, Int) {
        func even(_ value: Double) -> Int { max(2, Int((value / 2).rounded()) * 2) }
        if width >= height {
            return (even(Double(width) * Double(lines) / Double(height)), even(Double(lines)))
        }
        return (even(Double(lines)), even(Double(height) * Double(lines) / Double(width)))
    }

    /// "720p, 1650 kbps video + 128 kbps audio, about 74 MB".
    var summary: String {
        "\(rung.name) (\(width)x\(height)), \(videoKbps) kbps video" + (audioKbps > 0 ? " + \(audioKbps) kbps audio" : "")
            + ", about \(ByteFormatting.human(expectedBytes))"
    }
}
