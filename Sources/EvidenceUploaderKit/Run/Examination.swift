import UploaderConfig
import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// What the checks (safe open, policy, labels) decided about one file, before any upload.
enum Examination: Sendable {
    case accepted(Acceptance)
    case rejected(Rejection)

    struct Acceptance: Sendable {
        var route: UploadRoute
        var kind: ContentKind
        var fileType: String
        var labels: EvidenceLabels
        var endpoint: String
        /// The awarding body (`[destination.NAME]`); "" without destinations.
        var destination: String
        /// An oversize video that will be compressed to fit (`oversize_video = "compress"`): how,
        /// and what ffprobe said about the original.
        var compression: (plan: CompressionPlan, original: VideoFacts)? = nil
    }
}

/// The checks of a file's path, step 2 (docs/ARCHITECTURE.md), shared by `run` and `check`: which
/// destination a file belongs to (by its folder), then that destination's rules and labels.
struct Examiner: Sendable {
    /// One destination's rules.
    struct Rules: Sendable {
        let destination: Config.Destination
        let policy: UploadPolicy
        /// Encrypted files and unplayable videos (`[policy] reject_encrypted`, `reject_unplayable_video`).
        let openability: OpenabilityPolicy
        let labeller: Labeller
        /// `[policy] oversize_video`.
        let oversizeVideo: OversizeVideo
    }

    let rules: [Rules]
    /// `[compress]`: the ffmpeg and ffprobe that compress oversize videos.
    let compress: Compressor.Settings

    /// `manifests`: each destination's manifest, by destination name.
    init(config: Config, manifests: [String: Manifest]) throws(EvidenceError) {
        var rules: [Rules] = []
        for destination in config.destinations {
            let policy = UploadPolicy(
                maxVideoSize: destination.policy.maxVideoSize.bytes,
                standardUploadLimit: destination.policy.standardUploadLimit.bytes,
                maxFileSize: destination.policy.maxFileSize.bytes)
            let labeller = Labeller(centre: destination.centre, layout: try LabelLayout(pattern: destination.labels.layout),
                                    manifest: manifests[destination.name])
            let openability = OpenabilityPolicy(rejectEncrypted: destination.policy.rejectEncrypted,
                                                rejectUnplayableVideo: destination.policy.rejectUnplayableVideo)
            rules.append(Rules(destination: destination, policy: policy, openability: openability, labeller: labeller,
                               oversizeVideo: destination.policy.oversizeVideo))
        }
        self.rules = rules
        compress = Compressor.Settings(config.compress)
    }

    /// The rules of the destination a file at `relativePath` belongs to, and its path inside that
    /// destination's folder.
    func rules(forRelativePath relativePath: String) -> (rules: Rules, innerPath: String)? {
        for rule in rules {
            if let inner = rule.destination.innerPath(of: relativePath) { return (rule, inner) }
        }
        return nil
    }

    func rules(named name: String) -> Rules? { rules.first { $0.destination.name == name } }

    /// The manifest's notes for the moderator about a file, if its destination's manifest has any.
    func notes(forRelativePath relativePath: String) -> String? {
        guard let (rule, inner) = rules(forRelativePath: relativePath) else { return nil }
        return rule.labeller.manifest?.notes(relativePath: inner)
    }

    /// The route of a file of this size under the config in force.
    func route(forSize size: Int64, destination: String) -> UploadRoute {
        (rules(named: destination) ?? rules[0]).policy.route(forSize: size)
    }

    /// The endpoint for a file of this size under the config in force.
    func endpoint(forSize size: Int64, destination: String) -> String {
        let rule = rules(named: destination) ?? rules[0]
        return rule.endpoint(for: rule.policy.route(forSize: size))
    }

    func examine(_ file: some OpenedEvidence, relativePath: String) throws(EvidenceError) -> Examination {
        guard let (rule, innerPath) = rules(forRelativePath: relativePath) else {
            return .rejected(.outsideDestinations(folders: rules.map(\.destination.folder)))
        }
        let head = try file.head(ContentSniffer.headLength)
        switch rule.policy.decide(fileName: file.fileName, size: file.size, head: head) {
        case let .reject(rejection):
            guard rejection.code == Rejection.videoTooLargeCode, rule.oversizeVideo == .compress, compress.isInstalled else {
                return .rejected(rejection)
            }
            return try examineForCompression(file, head: head, rule: rule, innerPath: innerPath)
        case let .accept(route, kind, fileType):
            if let rejection = try rule.openability.check(fileName: file.fileName, kind: kind, head: head, bytes: file) {
                return .rejected(rejection)
            }
            switch rule.labeller.labels(forRelativePath: innerPath) {
            case let .failure(rejection):
                return .rejected(rejection)
            case let .success(labels):
                return .accepted(.init(route: route, kind: kind, fileType: fileType, labels: labels,
                                       endpoint: rule.endpoint(for: route), destination: rule.destination.name))
            }
        }
    }
}

extension Examiner {
    /// Does an item of this size go through compression under the config in force? (An
    /// oversize video was only accepted because it would be compressed.)
    func compresses(size: Int64, destination: String) -> Bool {
        size > maxVideoSize(destination: destination)
    }

    func maxVideoSize(destination: String) -> Int64 {
        (rules(named: destination) ?? rules[0]).policy.maxVideoSize
    }

    func oversizeVideo(destination: String) -> OversizeVideo {
        (rules(named: destination) ?? rules[0]).oversizeVideo
    }

    /// An oversize video under `oversize_video = "compress"`: playable, readable by ffprobe, and
    /// short enough to fit at 360p; then labelled like any file. The copy is an MP4.
    private func examineForCompression(_ file: some OpenedEvidence, head: [UInt8], rule: Rules, innerPath: String) throws(EvidenceError) -> Examination {
        let kind = ContentSniffer.sniff(head)
        if let rejection = try rule.openability.check(fileName: file.fileName, kind: kind, head: head, bytes: file) {
            return .rejected(rejection)
        }
        let limit = rule.policy.maxVideoSize
        let facts: VideoFacts
        switch VideoProbe(ffprobe: compress.ffprobe, stderrPath: "/dev/null").facts(fd: file.fd) {
        case let .success(found): facts = found
        case let .failure(.unreadable(reason)): return .rejected(.videoUnreadable(reason))
        case let .failure(.system(error)): throw error
        }
        let plan: CompressionPlan
        switch CompressionPlan.choose(limitBytes: limit, durationSeconds: facts.durationSeconds, width: facts.width,
                                      height: facts.height, hasAudio: facts.hasAudio) {
        case let .fits(chosen): plan = chosen
        case let .tooLong(minutes): return .rejected(.videoTooLong(size: file.size, limit: limit, facts: facts, maxMinutes: minutes))
        case .unreadable: return .rejected(.videoUnreadable("no video picture or duration could be found in it"))
        }
        switch rule.labeller.labels(forRelativePath: innerPath) {
        case let .failure(rejection):
            return .rejected(rejection)
        case let .success(labels):
            let route = rule.policy.route(forSize: plan.expectedBytes)
            return .accepted(.init(route: route, kind: kind, fileType: "video/mp4", labels: labels,
                                   endpoint: rule.endpoint(for: route), destination: rule.destination.name,
                                   compression: (plan, facts)))
        }
    }
}

extension Compressor.Settings {
    init(_ config: Config.Compress) {
        self.init(ffmpeg: config.ffmpeg, ffprobe: config.ffprobe, threads: config.threads,
                  cpuSeconds: max(1, Int(config.cpuTime.components.seconds)),
                  wallSeconds: Double(config.wallTime.components.seconds))
    }

    /// Both programs present: without them an oversize video is rejected as usual.
    var isInstalled: Bool { access(ffmpeg, X_OK) == 0 && access(ffprobe, X_OK) == 0 }
}

extension Examiner.Rules {
    /// The endpoint of a route under the config in force.
    func endpoint(for route: UploadRoute) -> String {
        route == .standard ? destination.portal.url : destination.effectiveLargeFileURL
    }
}

extension Rejection {
    /// A file in the drop folder but in no awarding body's folder: where it goes is unknown.
    static func outsideDestinations(folders: [String]) -> Rejection {
        let list = folders.map { "\"\($0)/\"" }.joined(separator: ", ")
        return Rejection(code: "no-destination", message: "This file is not inside an awarding body's folder, so it is not known where to send it. Move it into one of these folders in the drop folder: \(list), under its unit and candidate folders, then it will be sent.")
    }
}
