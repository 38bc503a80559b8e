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
    }
}

/// The checks of DESIGN.md §2 steps 4-5, shared by `run` and `check`.
public struct Examiner: Sendable {
    let policy: UploadPolicy
    let labeller: Labeller
    let standardEndpoint: String
    let largeFileEndpoint: String

    public init(config: Config, manifest: Manifest?) throws(EvidenceError) {
        policy = UploadPolicy(
            maxVideoSize: config.policy.maxVideoSize.bytes,
            standardUploadLimit: config.policy.standardUploadLimit.bytes,
            maxFileSize: config.policy.maxFileSize.bytes)
        labeller = Labeller(centre: config.centre.number, layout: try LabelLayout(pattern: config.labels.layout), manifest: manifest)
        standardEndpoint = config.portal.url
        largeFileEndpoint = config.effectiveLargeFileURL
    }

    /// The route of a file of this size under the config in force.
    func route(forSize size: Int64) -> UploadRoute { policy.route(forSize: size) }

    /// The endpoint of a route under the config in force.
    func endpoint(for route: UploadRoute) -> String {
        route == .standard ? standardEndpoint : largeFileEndpoint
    }

    /// The endpoint for a file of this size under the config in force.
    func endpoint(forSize size: Int64) -> String { endpoint(for: route(forSize: size)) }

    public func examine(_ file: EvidenceFile, relativePath: String) throws(EvidenceError) -> Examination {
        let head = try file.head(ContentSniffer.headLength)
        switch policy.decide(fileName: file.fileName, size: file.size, head: head) {
        case let .reject(rejection):
            return .rejected(rejection)
        case let .accept(route, kind, fileType):
            switch labeller.labels(forRelativePath: relativePath) {
            case let .failure(rejection):
                return .rejected(rejection)
            case let .success(labels):
                return .accepted(.init(route: route, kind: kind, fileType: fileType, labels: labels,
                                       endpoint: endpoint(for: route)))
            }
        }
    }
}
