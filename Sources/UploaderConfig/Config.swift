/// The daemon's configuration, read from a TOML file (see `Config/evidence-uploader.toml`).
/// Every value is validated when parsed; folder paths are absolute and normalised.
public struct Config: Sendable, Equatable {
    struct Centre: Sendable, Equatable {
        /// Required, letters and digits only; the portal username unless `portal.username` is set.
        var number: String
        init(number: String) { self.number = number }
    }

    package struct Portal: Sendable, Equatable {
        package var url: String
        var largeFileURL: String
        var username: String
        package var passwordFile: String
        package var caFile: String
        package var pinnedPublicKey: String
        package var proxy: String
        /// Origins ("https://uploads.example.org") a portal may hand uploads to besides its own.
        package var uploadOrigins: [String]
        /// Whether the credentials go to `uploadOrigins` too (never by default).
        package var sendCredentialsToUploadOrigins: Bool
        /// `protocol`: tus (the default) or S3 multipart, where `url` is the S3 endpoint.
        var transferProtocol: TransferProtocol = .tus
        /// S3 only: the bucket, its region, the object key template, the access key id, the
        /// file holding the secret (mode 0600; or a systemd credential) and the part size.
        package var bucket: String = ""
        package var region: String = ""
        package var key: String = "{centre}/{unit}/{candidate}/{file}"
        package var accessKeyID: String = ""
        var secretFile: String = ""
        package var partSize = ByteSize(bytes: 16 << 20)
        init(url: String, largeFileURL: String = "", username: String = "", passwordFile: String = "",
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
        package var drop: String
        package var uploaded: String
        package var rejected: String
        public var state: String
        package var watch: WatchMode
        package var pollInterval: Duration
        /// The page for exams officers in the drop folder ("" = none); its .txt twin beside it.
        package var statusPage: String = "UPLOAD-STATUS.html"
        init(drop: String = "/srv/evidence/drop", uploaded: String = "/srv/evidence/uploaded",
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

    package struct Policy: Sendable, Equatable {
        package var maxVideoSize: ByteSize
        package var standardUploadLimit: ByteSize
        package var maxFileSize: ByteSize
        package var settleTime: Duration
        /// Refuse password-protected archives, PDFs and Office documents (`OpenabilityPolicy`).
        package var rejectEncrypted: Bool
        /// Refuse videos cut short (no index, a part running past the end of the file).
        package var rejectUnplayableVideo: Bool
        /// A video over `maxVideoSize`: rejected, or compressed to fit (`[compress]`).
        package var oversizeVideo: OversizeVideo = .reject
        init(maxVideoSize: ByteSize = ByteSize(bytes: 2_500_000_000),
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

    package struct Labels: Sendable, Equatable {
        package var layout: String
        var manifest: String
        init(layout: String = "{unit}/{candidate}/{file}", manifest: String = "manifest.csv") {
            self.layout = layout
            self.manifest = manifest
        }
    }

    package struct Transfer: Sendable, Equatable {
        package var chunkSize: ByteSize
        /// Chunks grow from `chunkSize` up to this while the pause between them costs the link
        /// time (`ChunkSizing`); equal to `chunkSize` = fixed chunks.
        package var maxChunkSize: ByteSize
        package var parallelUploads: Int
        /// Files that fit in one chunk may go up this many more at once, so they never wait
        /// behind large uploads (each large upload keeps its stream). 0 = off.
        package var smallFileUploads: Int = 6
        var maxRate: TransferRate?
        package var lowSpeedTime: Duration
        /// Time windows with their own rate (school hours, nights...); the first that covers
        /// the moment wins, otherwise `maxRate`.
        var schedule: [RateWindow]
        init(chunkSize: ByteSize = ByteSize(bytes: 8 << 20), maxChunkSize: ByteSize = ByteSize(bytes: 128 << 20),
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

    package struct Log: Sendable, Equatable {
        package var level: LogLevelSetting
        package var format: LogFormat
        init(level: LogLevelSetting = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }

    /// One awarding body: its folder in the drop folder, its centre number, its portal and rules.
    package struct Destination: Sendable, Equatable {
        /// `[a-z0-9-]+`, recorded in the journal; "" for the one implicit destination of a config
        /// without `[destination.NAME]` tables.
        package var name: String
        /// Its folder inside the drop folder; "" = the drop folder itself (the implicit destination).
        package var folder: String
        /// The centre's number with this body; the portal username unless `username` is set.
        package var centre: String
        package var transferProtocol: TransferProtocol
        package var portal: Portal
        package var policy: Policy
        package var labels: Labels
        /// `[deadlines]` with this destination's `[destination.NAME.deadlines]` over it, by unit.
        var deadlines: [String: Deadline]

        /// The one destination of a config without `[destination.NAME]`: exactly today's sections.
        init(implicitFrom config: Config) {
            name = ""
            folder = ""
            centre = config.centre.number
            transferProtocol = config.portal.transferProtocol
            portal = config.portal
            policy = config.policy
            labels = config.labels
            deadlines = config.deadlines
        }

        package var portalUsername: String { portal.username.isEmpty ? centre : portal.username }
        package var effectiveLargeFileURL: String { portal.largeFileURL.isEmpty ? portal.url : portal.largeFileURL }
        /// "cityandguilds", or "" for the implicit destination; for log lines and messages.
        var isImplicit: Bool { name.isEmpty }

        /// The path of a file inside this destination's folder, or nil when it lies outside.
        package func innerPath(of relativePath: String) -> String? {
            if folder.isEmpty { return relativePath }
            guard relativePath.hasPrefix(folder + "/") else { return nil }
            return String(relativePath.dropFirst(folder.count + 1))
        }
    }

    var centre: Centre
    var portal: Portal
    public var folders: Folders
    package var policy: Policy
    var labels: Labels
    package var transfer: Transfer
    package var log: Log

    /// Who hears of failures, pauses, items at risk, and a daily summary.
    package struct Notify: Sendable, Equatable {
        package var webhook: String = ""
        package var email: String = ""
        init() {}
        package var isEnabled: Bool { !webhook.isEmpty || !email.isEmpty }
    }
    package var notify = Notify()

    /// `[metrics]`: the Prometheus text file node_exporter's textfile collector reads.
    package struct Metrics: Sendable, Equatable {
        /// "" = no metrics file (the default).
        package var textfile: String = ""
        init() {}
    }
    package var metrics = Metrics()

    /// `[compress]`: the ffmpeg child that shrinks oversize videos (`oversize_video = "compress"`).
    package struct Compress: Sendable, Equatable {
        package var ffmpeg: String = "/usr/bin/ffmpeg"
        package var ffprobe: String = "/usr/bin/ffprobe"
        /// Encoder threads (`-threads`); uploads keep the rest of the machine.
        package var threads: Int = 2
        /// The CPU time one ffmpeg run may use (RLIMIT_CPU).
        package var cpuTime: Duration = .seconds(4 * 3600)
        /// The wall-clock time one ffmpeg run may take before it is killed.
        package var wallTime: Duration = .seconds(8 * 3600)
        init() {}
    }
    package var compress = Compress()

    /// `[deadlines]`: when each unit's evidence is due, by unit.
    var deadlines: [String: Deadline] = [:]

    /// Always at least one: the implicit destination when the file has no `[destination.NAME]`.
    package var destinations: [Destination] = []

    public static let defaultPath = "/etc/evidence-uploader/config.toml"

    /// A config with the documented defaults for everything but the two required keys.
    init(centreNumber: String, portalURL: String) {
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
    package var hasNamedDestinations: Bool { destinations.contains { !$0.isImplicit } }

    /// The destination a file in the drop folder belongs to, and its path inside that folder.
    package func destination(forRelativePath path: String) -> (destination: Destination, innerPath: String)? {
        for destination in destinations {
            if let inner = destination.innerPath(of: path) { return (destination, inner) }
        }
        return nil
    }

    func destination(named name: String) -> Destination? {
        destinations.first { $0.name == name }
    }

    /// The status page and its text twin, relative to the drop folder; none when turned off.
    package var statusPagePaths: [String] {
        let page = folders.statusPage
        guard !page.isEmpty else { return [] }
        return [page, String(page.dropLast(5)) + ".txt"]
    }

    /// What the intake never takes as evidence: the manifests and the status page.
    package var intakeIgnoredPaths: [String] { everyManifestPath + statusPagePaths }

    /// Every manifest's path relative to the drop folder: each destination's, and the drop root's
    /// (`rootManifestPath`); never evidence, and a change to one is a reason to reload them.
    package var everyManifestPath: [String] {
        manifestPaths.sorted { $0.key < $1.key }.map(\.value) + (rootManifestPath.map { [$0] } ?? [])
    }

    /// With `[destination.NAME]` tables: the manifest in the drop root whose `destination` column
    /// says which destination each line is for (`[labels] manifest`); nil without destinations
    /// (the drop root's manifest is then the one destination's) or when manifests are off.
    package var rootManifestPath: String? {
        guard hasNamedDestinations, !labels.manifest.isEmpty, !labels.manifest.contains("/") else { return nil }
        return labels.manifest
    }

    /// Where each destination's manifest would be, relative to the drop folder, by destination name.
    package var manifestPaths: [String: String] {
        var paths: [String: String] = [:]
        for destination in destinations where !destination.labels.manifest.isEmpty {
            paths[destination.name] = destination.folder.isEmpty ? destination.labels.manifest
                : destination.folder + "/" + destination.labels.manifest
        }
        return paths
    }

    /// `portal.username`, or the centre number when empty.
    var portalUsername: String { portal.username.isEmpty ? centre.number : portal.username }

    /// `portal.large_file_url`, or `portal.url` when empty.
    var effectiveLargeFileURL: String { portal.largeFileURL.isEmpty ? portal.url : portal.largeFileURL }
}

/// How a destination's portal takes uploads.
package enum TransferProtocol: String, Sendable, Equatable {
    case tus
    case s3
}

/// When a unit's evidence is due: a local date and time as the config wrote it.
struct Deadline: Sendable, Equatable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    /// "2027-05-15 17:00", or "2027-05-15" for 23:59 that day.
    static func parse(_ text: String) throws(ConfigValueError) -> Deadline {
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

    var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute))"
    }
}
