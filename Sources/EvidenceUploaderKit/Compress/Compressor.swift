import Logging
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Compresses one oversize video to fit under the limit: ffprobe, the rung (`CompressionPlan`),
/// two-pass libx264 + AAC into MP4 with `+faststart`, then ffprobe again on the result (duration
/// within a second, picture and sound present, under the limit); still over = one rung lower.
/// Blocking: runs on a transfer thread. The original is only ever read, through its descriptor.
struct Compressor {
    struct Settings: Sendable, Equatable {
        var ffmpeg: String
        var ffprobe: String
        var threads: Int
        var cpuSeconds: Int
        var wallSeconds: Double
    }

    enum Outcome: Sendable {
        case done(Output)
        /// Too long to fit even at 360p: split into parts of at most this many minutes.
        case tooLong(maxMinutes: Int, facts: VideoFacts)
        /// Not a video ffmpeg can read (corrupt, hostile): the file's fault, said to the officer.
        case unreadable(String)
        /// The machine's fault (ffmpeg missing, a limit hit, disk full): said to IT.
        case failed(EvidenceError)
        case stopped
    }

    struct Output: Sendable {
        var path: String
        var size: Int64
        var plan: CompressionPlan
        var facts: VideoFacts
        var original: VideoFacts
    }

    /// x264's speed/quality trade: veryfast keeps a 2-core server at ~40 CPU-s per source minute
    /// at 720p; two-pass spends the bits where the picture needs them.
    static let preset = "veryfast"
    static let outputName = "output.mp4"

    let settings: Settings
    let logger: Logger

    /// `workFolder`: private to this item, emptied first. `progress` gets 0...1 and the status text.
    /// `willEncode`: told each rung before its first pass (to journal it); false aborts.
    func compress(fd: Int32, limitBytes: Int64, workFolder: String, stop: StopSignal,
                  willEncode: (CompressionPlan) throws(EvidenceError) -> Void,
                  progress: (Double, String) -> Void) -> Outcome {
        do {
            try Self.prepare(workFolder)
        } catch {
            return .failed(error)
        }
        let probe = VideoProbe(ffprobe: settings.ffprobe, stderrPath: workFolder + "/ffprobe.log")
        let original: VideoFacts
        switch probe.facts(fd: fd) {
        case let .success(facts): original = facts
        case let .failure(.unreadable(reason)): return .unreadable(reason)
        case let .failure(.system(error)): return .failed(error)
        }
        var start = 0
        while true {
            let plan: CompressionPlan
            switch CompressionPlan.choose(limitBytes: limitBytes, durationSeconds: original.durationSeconds, width: original.width,
                                          height: original.height, hasAudio: original.hasAudio, from: start) {
            case let .fits(chosen): plan = chosen
            case let .tooLong(minutes): return .tooLong(maxMinutes: minutes, facts: original)
            case .unreadable: return .unreadable("no video picture or duration could be found in it")
            }
            logger.info("compressing", metadata: [
                "rung": "\(plan.rung.name)", "plan": "\(plan.summary)", "source": "\(original.summary)",
                "why": "\(start == 0 ? "the highest rung whose bitrate fits the limit" : "the rung above came out over the limit")",
                "limit": "\(limitBytes)",
            ])
            do {
                try willEncode(plan)
            } catch {
                return .failed(error)
            }
            let output = workFolder + "/" + Self.outputName
            unlink(output)
            let started = WallClock.monotonic()
            for pass in 1...2 {
                let weight = pass == 1 ? (0.0, 0.35) : (0.35, 0.65)
                var parser = FFmpegProgress()
                let result: FFmpegChild.Result
                do {
                    result = try FFmpegChild.run(arguments(pass: pass, plan: plan, original: original, workFolder: workFolder, output: output),
                                                 evidenceFD: fd, limits: .init(cpuSeconds: settings.cpuSeconds, wallSeconds: settings.wallSeconds),
                                                 stderrPath: workFolder + "/ffmpeg-pass\(pass).log", stop: stop) { bytes in
                        parser.feed(bytes)
                        let fraction = weight.0 + weight.1 * parser.fraction(durationSeconds: original.durationSeconds)
                        progress(fraction, FFmpegProgress.statusText(fraction: fraction, elapsedSeconds: WallClock.monotonic() - started))
                    }
                } catch {
                    return .failed(error)
                }
                logger.debug("ffmpeg pass finished", metadata: ["pass": "\(pass)", "cpu_seconds": "\(ByteFormatting.fixed(result.cpuSeconds, 1))",
                                                               "seconds": "\(ByteFormatting.fixed(WallClock.monotonic() - started, 1))"])
                // ffmpeg catches SIGXCPU and exits on its own: the CPU used says which limit it was.
                let cpuLimitHit = result.ending != .exited(0) && result.cpuSeconds >= Double(settings.cpuSeconds) - 0.5
                switch cpuLimitHit ? .signalled(SIGXCPU) : result.ending {
                case .exited(0): continue
                case .stopped: return .stopped
                case .wallTimeExceeded:
                    return .failed(EvidenceError(.system, "compression took longer than [compress] wall_time (\(Int(settings.wallSeconds)) s) and was stopped; raise wall_time or lower the load"))
                case .signalled(SIGXCPU), .signalled(SIGKILL):
                    return .failed(EvidenceError(.system, "compression used more than [compress] cpu_time (\(settings.cpuSeconds) CPU seconds) and was stopped; raise cpu_time"))
                case let .signalled(signal):
                    return .unreadable("the video converter failed on it (signal \(signal)); the file may be damaged")
                case .exited:
                    if result.stderrTail.contains("No space left") {
                        return .failed(EvidenceError(.stateFull, "the state folder is full; compression waits until space is freed"))
                    }
                    return .unreadable(result.stderrTail.isEmpty ? "the video converter could not read it" : result.stderrTail)
                }
            }
            // Check the result before it is queued.
            let outFD = open(output, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard outFD >= 0 else {
                return .failed(EvidenceError(.system, "ffmpeg finished but wrote no file", cause: SystemCallError(operation: "open", path: output, errno: errno)))
            }
            defer { close(outFD) }
            fsync(outFD)
            var st = stat()
            fstat(outFD, &st)
            let size = Int64(st.st_size)
            let checked: VideoFacts
            switch VideoProbe(ffprobe: settings.ffprobe, stderrPath: workFolder + "/ffprobe-output.log").facts(fd: outFD) {
            case let .success(facts): checked = facts
            case let .failure(.unreadable(reason)): return .unreadable("its compressed copy could not be read back (\(reason)); the original may be damaged")
            case let .failure(.system(error)): return .failed(error)
            }
            if abs(checked.durationSeconds - original.durationSeconds) > 1 {
                return .unreadable("its compressed copy lasts \(Notes.durationWords(checked.durationSeconds)), not \(Notes.durationWords(original.durationSeconds)) like the original; the original may be damaged part way through")
            }
            if original.hasAudio && !checked.hasAudio {
                return .unreadable("its sound could not be converted; the original may be damaged")
            }
            if size > limitBytes {
                logger.notice("compressed copy still over the limit; trying the next rung down", metadata: [
                    "rung": "\(plan.rung.name)", "size": "\(size)", "limit": "\(limitBytes)",
                ])
                let next = (CompressionRung.ladder.firstIndex(of: plan.rung) ?? start) + 1
                guard next < CompressionRung.ladder.count else {
                    return .tooLong(maxMinutes: CompressionPlan.maxMinutes(limitBytes: limitBytes, hasAudio: original.hasAudio), facts: original)
                }
                start = next
                continue
            }
            logger.info("compressed", metadata: [
                "rung": "\(plan.rung.name)", "size": "\(size)", "limit": "\(limitBytes)", "result": "\(checked.summary)",
                "seconds": "\(ByteFormatting.fixed(WallClock.monotonic() - started, 1))",
            ])
            return .done(Output(path: output, size: size, plan: plan, facts: checked, original: original))
        }
    }

    func arguments(pass: Int, plan: CompressionPlan, original: VideoFacts, workFolder: String, output: String) -> [String] {
        let threads = String(settings.threads)
        var args = [settings.ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-nostats", "-y",
                    "-threads", threads, "-i", FFmpegChild.evidencePath,
                    "-map", "0:v:0", "-vf", "scale=\(plan.width):\(plan.height)", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-preset", Self.preset, "-b:v", "\(plan.videoKbps)k",
                    "-threads", threads, "-pass", String(pass), "-passlogfile", workFolder + "/pass",
                    "-progress", "pipe:1"]
        if pass == 1 {
            args += ["-an", "-f", "null", "/dev/null"]
        } else {
            if plan.audioKbps > 0 { args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "\(plan.audioKbps)k", "-ac", "2"] }
            args += ["-movflags", "+faststart", "-f", "mp4", output]
        }
        return args
    }

    /// The item's private work folder, created (mode 0700) and emptied of an earlier attempt.
    static func prepare(_ folder: String) throws(EvidenceError) {
        let parent = AtomicFile.folder(of: folder)
        for path in [parent, folder] where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw EvidenceError(.system, "cannot create the compression work folder", cause: SystemCallError(operation: "mkdir", path: path, errno: errno))
        }
        removeContents(of: folder)
    }

    /// Removes the files of a work folder (the folder itself too when `andFolder`). Only ever
    /// called on `<state>/compress/<id>`: never on evidence.
    static func removeContents(of folder: String, andFolder: Bool = false) {
        if let dir = opendir(folder) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(folder + "/" + name) }
            }
            closedir(dir)
        }
        if andFolder { rmdir(folder) }
    }
}
