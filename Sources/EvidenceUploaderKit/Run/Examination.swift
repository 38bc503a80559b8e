/// What the checks (safe open, policy, labels) decided about one file, before any upload.
public enum Examination: Sendable {
    case accepted(Acceptance)
    case rejected(Rejection)

    public struct Acceptance: Sendable {
        public var route: UploadRoute
        public var kind: ContentKind
        public var fileType: String
        public var labels: EvidenceLabels
        public var endpoint: String
        /// The awarding body (`[destination.NAME]`); "" without destinations.
        public var destination: String
    }
}

/// The checks of a file's path, step 2 (docs/ARCHITECTURE.md), shared by `run` and `check`: which
/// destination a file belongs to (by its folder), then that destination's rules and labels.
public struct Examiner: Sendable {
    /// One destination's rules.
    struct Rules: Sendable {
        let destination: Config.Destination
        let policy: UploadPolicy
        /// Encrypted files and unplayable videos (`[policy] reject_encrypted`, `reject_unplayable_video`).
        let openability: OpenabilityPolicy
        let labeller: Labeller
    }

    let rules: [Rules]

    /// `manifests`: each destination's manifest, by destination name.
    public init(config: Config, manifests: [String: Manifest]) throws(EvidenceError) {
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
            rules.append(Rules(destination: destination, policy: policy, openability: openability, labeller: labeller))
        }
        self.rules = rules
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

    /// The route of a file of this size under the config in force.
    func route(forSize size: Int64, destination: String) -> UploadRoute {
        (rules(named: destination) ?? rules[0]).policy.route(forSize: size)
    }

    /// The endpoint for a file of this size under the config in force.
    func endpoint(forSize size: Int64, destination: String) -> String {
        let rule = rules(named: destination) ?? rules[0]
        return rule.endpoint(for: rule.policy.route(forSize: size))
    }

    public func examine(_ file: EvidenceFile, relativePath: String) throws(EvidenceError) -> Examination {
        guard let (rule, innerPath) = rules(forRelativePath: relativePath) else {
            return .rejected(.outsideDestinations(folders: rules.map(\.destination.folder)))
        }
        let head = try file.head(ContentSniffer.headLength)
        switch rule.policy.decide(fileName: file.fileName, size: file.size, head: head) {
        case let .reject(rejection):
            return .rejected(rejection)
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
