import FoundationEssentials
import UploaderCore

/// What ffprobe says about a video: its length, picture and streams. Read through the
/// descriptor the daemon opened (`/dev/fd/3`), in a child process with limits.
struct VideoFacts: Sendable, Equatable {
    var durationSeconds: Double
    var width: Int
    var height: Int
    var hasVideo: Bool
    var hasAudio: Bool

    /// "1920x1080, 15 seconds".
    var summary: String {
        "\(width)x\(height), \(Notes.durationWords(durationSeconds))"
    }

    /// From ffprobe's `-print_format json -show_format -show_streams`; nil when it holds no
    /// duration or no picture. Never traps on any input.
    static func parse(json bytes: [UInt8]) -> VideoFacts? {
        guard case let .object(object)? = try? JSONDecoder().decode(ProbeJSON.self, from: Data(bytes)) else { return nil }
        let streams: [[String: ProbeJSON]] = object["streams"]?.array?.compactMap(\.object) ?? []
        let format = object["format"]?.object ?? [:]
        func number(_ value: ProbeJSON?) -> Double? {
            switch value {
            case let .string(text)?: return Double(text)
            case let .number(number)?: return number
            default: return nil
            }
        }
        let video = streams.first { $0["codec_type"]?.string == "video" && number($0["width"]) ?? 0 > 0 }
        let hasAudio = streams.contains { $0["codec_type"]?.string == "audio" }
        let duration = number(format["duration"]) ?? number(video?["duration"]) ?? 0
        guard let video, let width = number(video["width"]), let height = number(video["height"]),
              duration.isFinite, duration > 0, width.isFinite, height.isFinite, width < 100_000, height < 100_000 else { return nil }
        return VideoFacts(durationSeconds: duration, width: Int(width), height: Int(height), hasVideo: true, hasAudio: hasAudio)
    }
}

/// Any JSON value, as much of it as reading ffprobe's output needs (FoundationEssentials, which
/// the daemon links anyway, has `JSONDecoder` but no `JSONSerialization`).
enum ProbeJSON: Decodable, Equatable {
    case number(Double)
    case string(String)
    case array([ProbeJSON])
    case object([String: ProbeJSON])
    /// null, true, false, or a number too large for a Double.
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() || (try? container.decode(Bool.self)) != nil {
            self = .other
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([ProbeJSON].self) {
            self = .array(array)
        } else if let object = try? container.decode([String: ProbeJSON].self) {
            self = .object(object)
        } else {
            self = .other
        }
    }

    var string: String? { if case let .string(text) = self { text } else { nil } }
    var array: [ProbeJSON]? { if case let .array(array) = self { array } else { nil } }
    var object: [String: ProbeJSON]? { if case let .object(object) = self { object } else { nil } }
}

/// Runs ffprobe on an open file.
struct VideoProbe {
    let ffprobe: String
    /// Where ffprobe's error output goes (a private work folder, or /dev/null for `check`).
    let stderrPath: String

    enum Failure: Error, Sendable {
        /// ffprobe ran and could not read a video from it: the file's fault.
        case unreadable(String)
        /// ffprobe could not be run, or was killed: the machine's fault.
        case system(EvidenceError)
    }

    func facts(fd: Int32) -> Result<VideoFacts, Failure> {
        let argv = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", FFmpegChild.evidencePath]
        let result: FFmpegChild.Result
        do {
            result = try FFmpegChild.run(argv, evidenceFD: fd, limits: .init(cpuSeconds: 60, wallSeconds: 120),
                                         stderrPath: stderrPath, stop: nil)
        } catch {
            return .failure(.system(error))
        }
        switch result.ending {
        case .exited(0):
            guard let facts = VideoFacts.parse(json: result.stdout) else {
                return .failure(.unreadable("no video picture or duration could be found in it"))
            }
            return .success(facts)
        case .exited:
            return .failure(.unreadable(result.stderrTail.isEmpty ? "it could not be read as a video" : result.stderrTail))
        case let .signalled(signal):
            return .failure(.unreadable("reading it made the video reader fail (signal \(signal))"))
        case .wallTimeExceeded, .stopped:
            return .failure(.system(EvidenceError(.system, "ffprobe did not finish in time")))
        }
    }
}
