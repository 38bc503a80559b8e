import Testing
@testable import EvidenceUploaderKit

/// The rung choice, row by row: limit, duration, source picture, sound -> rung and bitrate, or
/// "too long" with the longest part that still fits.
struct CompressPlanTests {
    struct Row: CustomStringConvertible, Sendable {
        let limit: Int64
        let seconds: Double
        let width: Int
        let height: Int
        let audio: Bool
        let rung: String?           // nil = too long
        let videoKbps: Int?
        let size: (Int, Int)?
        let maxMinutes: Int?
        var description: String { "\(limit) B, \(seconds) s, \(width)x\(height)" }
    }

    static let rows: [Row] = [
        // 2.5 GB, one hour of 1080p: 5333 kbps budget -> 1080p at 5333 - 128.
        Row(limit: 2_500_000_000, seconds: 3600, width: 1920, height: 1080, audio: true, rung: "1080p", videoKbps: 5205, size: (1920, 1080), maxMinutes: nil),
        // Short and oversize: the budget is huge, the bitrate is the rung's ceiling.
        Row(limit: 2_500_000_000, seconds: 60, width: 3840, height: 2160, audio: true, rung: "1080p", videoKbps: 6000, size: (1920, 1080), maxMinutes: nil),
        // Two hours: 2666 kbps -> 2538 video, still 1080p (>= 2400).
        Row(limit: 2_500_000_000, seconds: 7200, width: 1920, height: 1080, audio: true, rung: "1080p", videoKbps: 2538, size: (1920, 1080), maxMinutes: nil),
        // Three hours: 1777 kbps -> 720p.
        Row(limit: 2_500_000_000, seconds: 10800, width: 1920, height: 1080, audio: true, rung: "720p", videoKbps: 1649, size: (1280, 720), maxMinutes: nil),
        // Six hours: 888 kbps -> 480p (792 video); 854x480 from 16:9.
        Row(limit: 2_500_000_000, seconds: 21600, width: 1920, height: 1080, audio: true, rung: "480p", videoKbps: 792, size: (854, 480), maxMinutes: nil),
        // Ten hours: 533 kbps -> 360p.
        Row(limit: 2_500_000_000, seconds: 36000, width: 1920, height: 1080, audio: true, rung: "360p", videoKbps: 469, size: (640, 360), maxMinutes: nil),
        // Twenty hours: too long; parts of at most 958 minutes (2.5 GB at 334 kbps, 4 % margin).
        Row(limit: 2_500_000_000, seconds: 72000, width: 1920, height: 1080, audio: true, rung: nil, videoKbps: nil, size: nil, maxMinutes: 958),
        // No sound: the audio share goes to the picture.
        Row(limit: 2_500_000_000, seconds: 10800, width: 1920, height: 1080, audio: false, rung: "720p", videoKbps: 1777, size: (1280, 720), maxMinutes: nil),
        // A 720p source is never scaled up to 1080p.
        Row(limit: 2_500_000_000, seconds: 600, width: 1280, height: 720, audio: true, rung: "720p", videoKbps: 3500, size: (1280, 720), maxMinutes: nil),
        // Portrait phone video: the shorter side is the rung.
        Row(limit: 2_500_000_000, seconds: 10800, width: 1080, height: 1920, audio: true, rung: "720p", videoKbps: 1649, size: (720, 1280), maxMinutes: nil),
        // A tiny source is re-encoded at its own size (never scaled up).
        Row(limit: 10_000_000, seconds: 60, width: 320, height: 240, audio: true, rung: "360p", videoKbps: 900, size: (320, 240), maxMinutes: nil),
        // The integration test's numbers: 8 MB, 15 s of 1080p -> 1080p at 3968 kbps.
        Row(limit: 8_000_000, seconds: 15, width: 1920, height: 1080, audio: true, rung: "1080p", videoKbps: 3968, size: (1920, 1080), maxMinutes: nil),
        // And its too-long video: 10 MB, 6 minutes -> parts under 3 minutes.
        Row(limit: 10_000_000, seconds: 360, width: 320, height: 240, audio: true, rung: nil, videoKbps: nil, size: nil, maxMinutes: 3),
    ]

    @Test(arguments: rows)
    func choosesTheHighestRungThatFits(_ row: Row) {
        let choice = CompressionPlan.choose(limitBytes: row.limit, durationSeconds: row.seconds, width: row.width,
                                            height: row.height, hasAudio: row.audio)
        switch choice {
        case let .fits(plan):
            #expect(plan.rung.name == row.rung)
            #expect(plan.videoKbps == row.videoKbps)
            #expect(plan.width == row.size?.0 && plan.height == row.size?.1)
            #expect(plan.expectedBytes < row.limit, "the plan leaves the margin")
        case let .tooLong(minutes):
            #expect(row.rung == nil)
            #expect(minutes == row.maxMinutes)
        case .unreadable:
            Issue.record("unexpected unreadable")
        }
    }

    @Test func startingLowerSkipsTheRungsAbove() {
        guard case let .fits(plan) = CompressionPlan.choose(limitBytes: 2_500_000_000, durationSeconds: 3600, width: 1920,
                                                            height: 1080, hasAudio: true, from: 1) else {
            Issue.record("no plan")
            return
        }
        #expect(plan.rung.name == "720p" && plan.videoKbps == 3500)
    }

    @Test(arguments: [(0.0, 1920, 1080), (-1, 1920, 1080), (.nan, 1920, 1080), (.infinity, 1920, 1080), (60, 0, 1080), (60, 1920, 0)])
    func nothingToPlanFrom(_ input: (Double, Int, Int)) {
        #expect(CompressionPlan.choose(limitBytes: 1_000_000, durationSeconds: input.0, width: input.1, height: input.2,
                                       hasAudio: true) == .unreadable)
    }

    @Test func ladderIsHandBrakes() {
        #expect(CompressionRung.ladder.map(\.lines) == [1080, 720, 480, 360])
        #expect(CompressionRung.ladder.map(\.minVideoKbps) == [2400, 1250, 550, 270])
    }
}

struct CompressProgressTests {
    @Test func readsOutTimeAcrossSplitWrites() {
        var progress = FFmpegProgress()
        progress.feed(Array("frame=10\nout_time_us=1500".utf8))
        #expect(progress.outTimeMicros == 0, "a line is read only when whole")
        progress.feed(Array("000\nout_time=00:00:01.500000\nprogress=continue\n".utf8))
        #expect(progress.outTimeMicros == 1_500_000)
        #expect(progress.fraction(durationSeconds: 15) == 0.1)
        progress.feed(Array("out_time_ms=15000000\nprogress=end\n".utf8))
        #expect(progress.ended && progress.fraction(durationSeconds: 15) == 1)
    }

    @Test func ignoresGarbage() {
        var progress = FFmpegProgress()
        progress.feed(Array("out_time_us=N/A\nout_time_us=-5\n=\n\u{0}\u{ff}\n".utf8) + [0xff, 0xfe, 0x0a])
        #expect(progress.outTimeMicros == 0 && !progress.ended)
        progress.feed([UInt8](repeating: 0x41, count: 100_000))  // one endless line: bounded
        #expect(progress.fraction(durationSeconds: 0) == 0)
    }

    @Test(arguments: [
        (0.0, 0.0, "compressing 0 %"),
        (0.42, 260.0, "compressing 42 %, about 6 min left"),
        (0.5, 20.0, "compressing 50 %, less than a minute left"),
        (0.1, 1000.0, "compressing 10 %, about 2 h 30 min left"),
    ])
    func statusText(_ row: (Double, Double, String)) {
        #expect(FFmpegProgress.statusText(fraction: row.0, elapsedSeconds: row.1) == row.2)
    }
}

struct CompressProbeTests {
    @Test func readsFfprobeJSON() {
        let json = """
        {"streams":[{"codec_type":"video","width":1920,"height":1080,"duration":"15.000000"},
                    {"codec_type":"audio","duration":"15.000000"}],
         "format":{"duration":"15.023000","format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}
        """
        let facts = VideoFacts.parse(json: Array(json.utf8))
        #expect(facts == VideoFacts(durationSeconds: 15.023, width: 1920, height: 1080, hasVideo: true, hasAudio: true))
    }

    @Test(arguments: [
        "", "null", "[]", "{\"streams\":[]}", "{\"streams\":[{\"codec_type\":\"audio\"}],\"format\":{\"duration\":\"3\"}}",
        "{\"streams\":[{\"codec_type\":\"video\",\"width\":0,\"height\":0}],\"format\":{\"duration\":\"3\"}}",
        "{\"streams\":[{\"codec_type\":\"video\",\"width\":640,\"height\":480}],\"format\":{\"duration\":\"N/A\"}}",
        "{\"streams\":[{\"codec_type\":\"video\",\"width\":1e300,\"height\":480}],\"format\":{\"duration\":\"1\"}}",
        "{\"streams\":[{\"codec_type\":\"video\",\"width\":640,\"height\":480}],\"format\":{\"duration\":\"nan\"}}",
    ])
    func noFactsFromWhatIsNotAVideo(_ json: String) {
        #expect(VideoFacts.parse(json: Array(json.utf8)) == nil)
    }
}
