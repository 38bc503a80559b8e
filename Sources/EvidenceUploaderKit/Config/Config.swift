/// The daemon's configuration, read from a TOML file (see `Config/evidence-uploader.toml`).
/// Every value is validated when parsed; folder paths are absolute and normalised.
public struct Config: Sendable, Equatable {
    public struct Centre: Sendable, Equatable {
        /// Required, letters and digits only; the portal username unless `portal.username` is set.
        public var number: String
        public init(number: String) { self.number = number }
    }

    public struct Portal: Sendable, Equatable {
        public var url: String
        public var largeFileURL: String
        public var username: String
        public var passwordFile: String
        public var caFile: String
        public var pinnedPublicKey: String
        public var proxy: String
        /// Origins ("https://uploads.example.org") a portal may hand uploads to besides its own.
        public var uploadOrigins: [String]
        /// Whether the credentials go to `uploadOrigins` too (never by default).
        public var sendCredentialsToUploadOrigins: Bool
        /// `protocol`: tus (the default) or S3 multipart, where `url` is the S3 endpoint.
        public var transferProtocol: TransferProtocol = .tus
        /// S3 only: the bucket, its region, the object key template, the access key id, the
        /// file holding the secret (mode 0600; or a systemd credential) and the part size.
        public var bucket: String = ""
        public var region: String = ""
        public var key: String = "{centre}/{unit}/{candidate}/{file}"
        public var accessKeyID: String = ""
        public var secretFile: String = ""
        public var partSize = ByteSize(bytes: 16 << 20)
        public init(url: String, largeFileURL: String = "", username: String = "", passwordFile: String = "",
                    caFile: String = "", pinnedPublicKey: String = "", proxy: String = "",
                    uploadOrigins: [String] = [], sendCredentialsToUploadOrigins: Bool = false) {
            self.uploadOrigins = uploadOrigins
            self.sendCredentialsToUploadOrigins = sendCredentialsToUploadOrigins
            self.url = url
            self.largeFileURL = largeFileURL
            self.username = username
            self.passwordFile = passwordFile
            self.caFile = caFile
            self.pinnedPublicKey = pinnedPublicKey
            self.proxy = proxy
        }
    }

    public struct Folders: Sendable, Equatable {
        public var drop: String
        public var uploaded: String
        public var rejected: String
        public var state: String
        public var watch: WatchMode
        public var pollInterval: Duration
        /// The page for exams officers in the drop folder ("" = none); its .txt twin beside it.
        public var statusPage: String = "UPLOAD-STATUS.html"
        public init(drop: String = "/srv/evidence/drop", uploaded: String = "/srv/evidence/uploaded",
                    rejected: String = "/srv/evidence/rejected", state: String = "/var/lib/evidence-uploader",
                    watch: WatchMode = .inotify, pollInterval: Duration = .seconds(30)) {
            self.drop = drop
            self.uploaded = uploaded
            self.rejected = rejected
            self.state = state
            self.watch = watch
            self.pollInterval = pollInterval
        }
    }

    public struct Policy: Sendable, Equatable {
        public var maxVideoSize: ByteSize
        public var standardUploadLimit: ByteSize
        public var maxFileSize: ByteSize
        public var settleTime: Duration
        /// Refuse password-protected archives, PDFs and Office documents (`OpenabilityPolicy`).
        public var rejectEncrypted: Bool
        /// Refuse videos cut short (no index, a part running past the end of the file).
        public var rejectUnplayableVideo: Bool
        /// A video over `maxVideoSize`: rejected, or compressed to fit (`[compress]`).
        public var oversizeVideo: OversizeVideo = .reject
        public init(maxVideoSize: ByteSize = ByteSize(bytes: 2_500_000_000),
                    standardUploadLimit: ByteSize = ByteSize(bytes: 150_000_000),
                    maxFileSize: ByteSize = ByteSize(bytes: 2_500_000_000), settleTime: Duration = .seconds(10),
                    rejectEncrypted: Bool = true, rejectUnplayableVideo: Bool = true) {
            self.maxVideoSize = maxVideoSize
            self.standardUploadLimit = standardUploadLimit
            self.maxFileSize = maxFileSize
            self.settleTime = settleTime
            self.rejectEncrypted = rejectEncrypted
            self.rejectUnplayableVideo = rejectUnplayableVideo
        }
    }

    public struct Labels: Sendable, Equatable {
        public var layout: String
        public var manifest: String
        public init(layout: String = "{unit}/{candidate}/{file}", manifest: String = "manifest.csv") {
            self.layout = layout
            self.manifest = manifest
        }
    }

    public struct Transfer: Sendable, Equatable {
        public var chunkSize: ByteSize
        /// Chunks grow from `chunkSize` up to this while the pause between them costs the link
        /// time (`ChunkSizing`); equal to `chunkSize` = fixed chunks.
        public var maxChunkSize: ByteSize
        public var parallelUploads: Int
        /// Files that fit in one chunk may go up this many more at once, so they never wait
        /// behind large uploads (each large upload keeps its stream). 0 = off.
        public var smallFileUploads: Int = 6
        public var maxRate: TransferRate?
        public var lowSpeedTime: Duration
        /// Time windows with their own rate (school hours, nights...); the first that covers
        /// the moment wins, otherwise `maxRate`.
        public var schedule: [RateWindow]
        public init(chunkSize: ByteSize = ByteSize(bytes: 8 << 20), maxChunkSize: ByteSize = ByteSize(bytes: 128 << 20),
                    parallelUploads: Int = 2,
                    maxRate: TransferRate? = nil, lowSpeedTime: Duration = .seconds(60), schedule: [RateWindow] = []) {
            self.chunkSize = chunkSize
            self.maxChunkSize = maxChunkSize
            self.parallelUploads = parallelUploads
            self.maxRate = maxRate
            self.lowSpeedTime = lowSpeedTime
            self.schedule = schedule
        }
    }

    public struct Log: Sendable, Equatable {
        public var level: LogLevelSetting
        public var format: LogFormat
        public init(level: LogLevelSetting = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }

    /// One awarding body: its folder in the drop folder, its centre number, its portal and rules.
    public struct Destination: Sendable, Equatable {
        /// `[a-z0-9-]+`, recorded in the journal; "" for the one implicit destination of a config
        /// without `[destination.NAME]` tables.
        public var name: String
        /// Its folder inside the drop folder; "" = the drop folder itself (the implicit destination).
        public var folder: String
        /// The centre's number with this body; the portal username unless `username` is set.
        public var centre: String
        public var transferProtocol: TransferProtocol
        public var portal: Portal
        public var policy: Policy
        public var labels: Labels
        /// `[deadlines]` with this destination's `[destination.NAME.deadlines]` over it, by unit.
        public var deadlines: [String: Deadline]

        /// The one destination of a config without `[destination.NAME]`: exactly today's sections.
        public init(implicitFrom config: Config) {
            name = ""
            folder = ""
            centre = config.centre.number
            transferProtocol = config.portal.transferProtocol
            portal = config.portal
            policy = config.policy
            labels = config.labels
            deadlines = config.deadlines
        }

        public var portalUsername: String { portal.username.isEmpty ? centre : portal.username }
        public var effectiveLargeFileURL: String { portal.largeFileURL.isEmpty ? portal.url : portal.largeFileURL }
        /// "cityandguilds", or "" for the implicit destination; for log lines and messages.
        public var isImplicit: Bool { name.isEmpty }

        /// The path of a file inside this destination's folder, or nil when it lies outside.
        public func innerPath(of relativePath: String) -> String? {
            if folder.isEmpty { return relativePath }
            guard relativePath.hasPrefix(folder + "/") else { return nil }
            return String(relativePath.dropFirst(folder.count + 1))
        }
    }

    public var centre: Centre
    public var portal: Portal
    public var folders: Folders
    public var policy: Policy
    public var labels: Labels
    public var transfer: Transfer
    public var log: Log

    /// Who hears of failures, pauses, items at risk, and a daily summary.
    public struct Notify: Sendable, Equatable {
        public var webhook: String = ""
        public var email: String = ""
        public init() {}
        public var isEnabled: Bool { !webhook.isEmpty || !email.isEmpty }
    }
    public var notify = Notify()

    /// `[metrics]`: the Prometheus text file node_exporter's textfile collector reads.
    public struct Metrics: Sendable, Equatable {
        /// "" = no metrics file (the default).
        public var textfile: String = ""
        public init() {}
    }
    public var metrics = Metrics()

    /// `[compress]`: the ffmpeg child that shrinks oversize videos (`oversize_video = "compress"`).
    public struct Compress: Sendable, Equatable {
        public var ffmpeg: String = "/usr/bin/ffmpeg"
        public var ffprobe: String = "/usr/bin/ffprobe"
        /// Encoder threads (`-threads`); uploads keep the rest of the machine.
        public var threads: Int = 2
        /// The CPU time one ffmpeg run may use (RLIMIT_CPU).
        public var cpuTime: Duration = .seconds(4 * 3600)
        /// The wall-clock time one ffmpeg run may take before it is killed.
        public var wallTime: Duration = .seconds(8 * 3600)
        public init() {}
    }
    public var compress = Compress()

    /// `[deadlines]`: when each unit's evidence is due, by unit.
    public var deadlines: [String: Deadline] = [:]

    /// Always at least one: the implicit destination when the file has no `[destination.NAME]`.
    public var destinations: [Destination] = []

    public static let defaultPath = "/etc/evidence-uploader/config.toml"

    /// A config with the documented defaults for everything but the two required keys.
    public init(centreNumber: String, portalURL: String) {
        centre = Centre(number: centreNumber)
        portal = Portal(url: portalURL)
        folders = Folders()
        policy = Policy()
        labels = Labels()
        transfer = Transfer()
        log = Log()
        destinations = [Destination(implicitFrom: self)]
    }

    /// Whether the file names awarding bodies (`[destination.NAME]`) rather than one portal.
    public var hasNamedDestinations: Bool { destinations.contains { !$0.isImplicit } }

    /// The destination a file in the drop folder belongs to, and its path inside that folder.
    public func destination(forRelativePath path: String) -> (destination: Destination, innerPath: String)? {
        for destination in destinations {
            if let inner = destination.innerPath(of: path) { return (destination, inner) }
        }
        return nil
    }

    public func destination(named name: String) -> Destination? {
        destinations.first { $0.name == name }
    }

    /// The status page and its text twin, relative to the drop folder; none when turned off.
    public var statusPagePaths: [String] {
        let page = folders.statusPage
        guard !page.isEmpty else { return [] }
        return [page, String(page.dropLast(5)) + ".txt"]
    }

    /// What the intake never takes as evidence: the manifests and the status page.
    public var intakeIgnoredPaths: [String] { everyManifestPath + statusPagePaths }

    /// Every manifest's path relative to the drop folder: each destination's, and the drop root's
    /// (`rootManifestPath`); never evidence, and a change to one is a reason to reload them.
    public var everyManifestPath: [String] {
        manifestPaths.sorted { $0.key < $1.key }.map(\.value) + (rootManifestPath.map { [$0] } ?? [])
    }

    /// With `[destination.NAME]` tables: the manifest in the drop root whose `destination` column
    /// says which destination each line is for (`[labels] manifest`); nil without destinations
    /// (the drop root's manifest is then the one destination's) or when manifests are off.
    public var rootManifestPath: String? {
        guard hasNamedDestinations, !labels.manifest.isEmpty, !labels.manifest.contains("/") else { return nil }
        return labels.manifest
    }

    /// Where each destination's manifest would be, relative to the drop folder, by destination name.
    public var manifestPaths: [String: String] {
        var paths: [String: String] = [:]
        for destination in destinations where !destination.labels.manifest.isEmpty {
            paths[destination.name] = destination.folder.isEmpty ? destination.labels.manifest
                : destination.folder + "/" + destination.labels.manifest
        }
        return paths
    }

    /// `portal.username`, or the centre number when empty.
    public var portalUsername: String { portal.username.isEmpty ? centre.number : portal.username }

    /// `portal.large_file_url`, or `portal.url` when empty.
    public var effectiveLargeFileURL: String { portal.largeFileURL.isEmpty ? portal.url : portal.largeFileURL }
}

/// How a destination's portal takes uploads.
public enum TransferProtocol: String, Sendable, Equatable {
    case tus
    case s3
}

/// When a unit's evidence is due: a local date and time as the config wrote it.
public struct Deadline: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int

    /// "2027-05-15 17:00", or "2027-05-15" for 23:59 that day.
    public static func parse(_ text: String) throws(ConfigValueError) -> Deadline {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let allowed = ConfigSchema.deadlineAllowed
        guard parts.count == 1 || parts.count == 2 else { throw ConfigValueError(reason: "not a date and time", allowed: allowed) }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard date.count == 3, let year = date[0], let month = date[1], let day = date[2], parts[0].count == 10,
              (2000...2200).contains(year), (1...12).contains(month), (1...Self.days(month, year)).contains(day)
        else { throw ConfigValueError(reason: "not a date YYYY-MM-DD", allowed: allowed) }
        var hour = 23, minute = 59
        if parts.count == 2 {
            let time = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard time.count == 2, parts[1].count == 5, let h = time[0], let m = time[1], (0...23).contains(h), (0...59).contains(m)
            else { throw ConfigValueError(reason: "not a time HH:MM", allowed: allowed) }
            hour = h
            minute = m
        }
        return Deadline(year: year, month: month, day: day, hour: hour, minute: minute)
    }

    static func days(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute))"
    }
}
