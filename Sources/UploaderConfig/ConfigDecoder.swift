import UploaderCore

/// Turns a parsed TOML document into a `Config`, collecting every problem rather than
/// stopping at the first.
struct ConfigDecoder {
    let document: TOMLDocument
    let baseDirectory: String
    var problems: [ConfigProblem] = []

    init(document: TOMLDocument, baseDirectory: String) {
        self.document = document
        self.baseDirectory = baseDirectory
    }

    mutating func decode() -> Config {
        checkStructure()
        let destinationTables = document.tables.filter { ConfigSchema.isDestinationTable($0.name) }
        let hasDestinations = !destinationTables.isEmpty
        // With destinations, [centre] and [portal] only give defaults; each destination must end up
        // with a centre number and a url of its own or inherited.
        let number = hasDestinations ? optionalString("centre", "number") : requiredString("centre", "number")
        let url = hasDestinations ? optionalString("portal", "url") : requiredString("portal", "url")
        var config = Config(centreNumber: number.value, portalURL: url.value)
        if let line = number.line, !(hasDestinations && number.value.isEmpty),
           let problem = ConfigValidation.centreNumber(number.value) {
            report(line, "centre", "number", "\(number.value.debugQuoted) \(problem)")
        }
        if let line = url.line, let problem = ConfigValidation.url(url.value, optional: hasDestinations) {
            report(line, "portal", "url", "\(url.value.debugQuoted) \(problem)")
        }
        config.portal = portal("portal", base: config.portal)
        if !hasDestinations { checkS3("portal", config.portal, tableLine: document.table("portal")?.line) }

        var folders = config.folders
        folders.drop = path("folders", "drop", folders.drop, required: true)
        folders.uploaded = path("folders", "uploaded", folders.uploaded, required: true)
        folders.rejected = path("folders", "rejected", folders.rejected, required: true)
        folders.state = path("folders", "state", folders.state, required: true)
        folders.watch = parsed("folders", "watch", folders.watch) { text throws(ConfigValueError) in
            guard let mode = WatchMode(rawValue: text) else { throw ConfigValueError(reason: "unknown mode", allowed: "") }
            return mode
        }
        folders.pollInterval = parsed("folders", "poll_interval", folders.pollInterval, DurationText.parse) {
            $0 > .zero ? nil : "must be more than 0s"
        }
        folders.statusPage = string("folders", "status_page", folders.statusPage) { ConfigValidation.statusPage($0) }
        config.folders = folders
        config.deadlines = deadlines(ConfigSchema.deadlinesSection, base: [:])
        var notify = config.notify
        notify.webhook = string("notify", "webhook", notify.webhook) { ConfigValidation.url($0, optional: true) }
        notify.email = string("notify", "email", notify.email) { ConfigValidation.email($0) }
        config.notify = notify
        let textfile = string("metrics", "textfile", config.metrics.textfile) { value in
            value.isEmpty || value.hasSuffix(".prom") ? ConfigValidation.noControlCharacters(value)
                : "does not end in .prom (node_exporter's textfile collector reads only *.prom)"
        }
        config.metrics.textfile = ConfigPath.resolve(textfile, against: baseDirectory)
        config.policy = policy("policy", base: config.policy)
        var compress = config.compress
        compress.ffmpeg = path("compress", "ffmpeg", compress.ffmpeg, required: true)
        compress.ffprobe = path("compress", "ffprobe", compress.ffprobe, required: true)
        compress.threads = integer("compress", "threads", compress.threads, range: 1...64)
        compress.cpuTime = parsed("compress", "cpu_time", compress.cpuTime, DurationText.parse) {
            $0 >= .seconds(1) ? nil : "is shorter than 1s"
        }
        compress.wallTime = parsed("compress", "wall_time", compress.wallTime, DurationText.parse) {
            $0 >= .seconds(1) ? nil : "is shorter than 1s"
        }
        config.compress = compress
        config.labels = labels("labels", base: config.labels)

        var transfer = config.transfer
        transfer.chunkSize = parsed("transfer", "chunk_size", transfer.chunkSize, ByteSize.parse) {
            (ByteSize(bytes: 256 << 10)...ByteSize(bytes: 1 << 30)).contains($0) ? nil : "is out of range"
        }
        let maxChunkLine = line("transfer", "max_chunk_size")
        transfer.maxChunkSize = parsed("transfer", "max_chunk_size", transfer.maxChunkSize, ByteSize.parse) {
            $0.bytes <= 1 << 30 ? nil : "is over 1GiB"
        }
        if transfer.maxChunkSize < transfer.chunkSize {
            if maxChunkLine != nil {
                report(maxChunkLine, "transfer", "max_chunk_size",
                       "\(transfer.maxChunkSize.description.debugQuoted) is smaller than chunk_size \(transfer.chunkSize.description.debugQuoted)")
            }
            transfer.maxChunkSize = transfer.chunkSize
        }
        transfer.parallelUploads = integer("transfer", "parallel_uploads", transfer.parallelUploads, range: 1...16)
        transfer.smallFileUploads = integer("transfer", "small_file_uploads", transfer.smallFileUploads, range: 0...32)
        transfer.maxRate = parsed("transfer", "max_rate", transfer.maxRate) { text throws(ConfigValueError) in
            text.isEmpty ? nil : try TransferRate.parse(text)
        }
        transfer.lowSpeedTime = parsed("transfer", "low_speed_time", transfer.lowSpeedTime, DurationText.parse) {
            $0 >= .seconds(1) ? nil : "is shorter than 1s"
        }
        transfer.schedule = schedule()
        config.transfer = transfer

        var log = config.log
        log.level = parsed("log", "level", log.level) { text throws(ConfigValueError) in
            guard let level = LogLevelSetting(rawValue: text) else { throw ConfigValueError(reason: "unknown level", allowed: "") }
            return level
        }
        log.format = parsed("log", "format", log.format) { text throws(ConfigValueError) in
            guard let format = LogFormat(rawValue: text) else { throw ConfigValueError(reason: "unknown format", allowed: "") }
            return format
        }
        config.log = log

        if hasDestinations {
            config.destinations = destinationTables.compactMap { destination($0, defaults: config) }
            checkDestinationFolders(config, tables: destinationTables)
        } else {
            config.destinations = [Config.Destination(implicitFrom: config)]
        }
        return config
    }

    // MARK: sections that a destination may override

    /// `[portal]`, or a destination's portal keys over `base`.
    mutating func portal(_ section: String, base: Config.Portal) -> Config.Portal {
        var portal = base
        if section != "portal" {
            portal.url = string(section, "url", portal.url) { ConfigValidation.url($0, optional: false) }
        }
        portal.largeFileURL = string(section, "large_file_url", portal.largeFileURL) { ConfigValidation.url($0, optional: true) }
        portal.username = string(section, "username", portal.username) { ConfigValidation.noControlCharacters($0) }
        portal.passwordFile = path(section, "password_file", portal.passwordFile, required: false)
        portal.caFile = path(section, "ca_file", portal.caFile, required: false)
        portal.pinnedPublicKey = string(section, "pinned_public_key", portal.pinnedPublicKey) { ConfigValidation.pinnedKey($0) }
        portal.proxy = string(section, "proxy", portal.proxy) { ConfigValidation.noControlCharacters($0) }
        if entry(section, "upload_origins") != nil {
            portal.uploadOrigins = strings(section, "upload_origins") { ConfigValidation.origin($0) }
        }
        portal.sendCredentialsToUploadOrigins = boolean(section, "send_credentials_to_upload_origins",
                                                        portal.sendCredentialsToUploadOrigins)
        portal.transferProtocol = parsed(section, "protocol", portal.transferProtocol) { text throws(ConfigValueError) in
            guard let value = TransferProtocol(rawValue: text) else { throw ConfigValueError(reason: "unknown protocol", allowed: "") }
            return value
        }
        portal.bucket = string(section, "bucket", portal.bucket) { ConfigValidation.s3Bucket($0) }
        portal.region = string(section, "region", portal.region) { ConfigValidation.s3Region($0) }
        portal.key = string(section, "key", portal.key) { S3KeyTemplate.problem($0) }
        portal.accessKeyID = string(section, "access_key_id", portal.accessKeyID) { ConfigValidation.s3AccessKeyID($0) }
        portal.secretFile = path(section, "secret_file", portal.secretFile, required: false)
        portal.partSize = parsed(section, "part_size", portal.partSize, ByteSize.parse) {
            (ByteSize(bytes: S3PartPlan.minimumPartSize)...ByteSize(bytes: S3PartPlan.maximumPartSize)).contains($0) ? nil : "is out of range"
        }
        return portal
    }

    /// `[policy]`, or a destination's policy keys over `base`.
    mutating func policy(_ section: String, base: Config.Policy) -> Config.Policy {
        var policy = base
        policy.maxVideoSize = parsed(section, "max_video_size", policy.maxVideoSize, ByteSize.parse) {
            $0.bytes > 0 ? nil : "must be more than 0B"
        }
        let limitLine = line(section, "standard_upload_limit")
        policy.standardUploadLimit = parsed(section, "standard_upload_limit", policy.standardUploadLimit, ByteSize.parse)
        policy.maxFileSize = parsed(section, "max_file_size", policy.maxFileSize, ByteSize.parse) {
            $0.bytes > 0 ? nil : "must be more than 0B"
        }
        policy.settleTime = parsed(section, "settle_time", policy.settleTime, DurationText.parse)
        policy.rejectEncrypted = boolean(section, "reject_encrypted", policy.rejectEncrypted)
        policy.rejectUnplayableVideo = boolean(section, "reject_unplayable_video", policy.rejectUnplayableVideo)
        policy.oversizeVideo = parsed(section, "oversize_video", policy.oversizeVideo) { text throws(ConfigValueError) in
            guard let value = OversizeVideo(rawValue: text) else { throw ConfigValueError(reason: "unknown choice", allowed: "") }
            return value
        }
        if policy.standardUploadLimit > policy.maxVideoSize {
            let inherited = limitLine == nil && section != "policy" ? " (inherited from [policy]; set standard_upload_limit here)" : ""
            report(limitLine ?? line(section, "max_video_size") ?? document.table(section)?.line, section, "standard_upload_limit",
                   "\(policy.standardUploadLimit.description.debugQuoted) is larger than max_video_size \(policy.maxVideoSize.description.debugQuoted)\(inherited)")
        }
        return policy
    }

    /// `[labels]`, or a destination's labels keys over `base`.
    mutating func labels(_ section: String, base: Config.Labels) -> Config.Labels {
        var labels = base
        labels.manifest = string(section, "manifest", labels.manifest) { ConfigValidation.manifest($0) }
        let layoutGiven = entry(section, "layout") != nil
        labels.layout = string(section, "layout", labels.layout) { [manifest = labels.manifest] in
            ConfigValidation.layout($0, hasManifest: !manifest.isEmpty)
        }
        if !layoutGiven && section != "labels", let problem = ConfigValidation.layout(labels.layout, hasManifest: !labels.manifest.isEmpty) {
            report(document.table(section)?.line, section, "layout", "the inherited \(labels.layout.debugQuoted) \(problem)")
        }
        return labels
    }

    mutating func schedule() -> [RateWindow] {
        guard let entry = entry("transfer", "schedule") else { return [] }
        guard case .array(let items) = entry.value else {
            report(entry.line, "transfer", "schedule", "expected an array of strings, got \(entry.value.typeName) \(entry.value.tomlText)")
            return []
        }
        var windows: [RateWindow] = []
        for item in items {
            guard case .string(let text) = item else {
                report(entry.line, "transfer", "schedule", "expected strings, got \(item.typeName) \(item.tomlText)")
                continue
            }
            do {
                windows.append(try RateWindow.parse(text))
            } catch {
                report(entry.line, "transfer", "schedule", "bad window \(text.debugQuoted): \(error.reason)",
                       allowed: error.allowed.isEmpty ? nil : error.allowed)
            }
        }
        return windows
    }

    // MARK: structure: unknown sections and keys

    mutating func checkStructure() {
        let sectionNames = ConfigSchema.sections.map(\.name)
        for entry in document.root.entries {
            problems.append(ConfigProblem(line: entry.line, section: nil, key: entry.key,
                                          problem: "key outside any section",
                                          allowed: "keys inside one of " + sectionNames.map { "[\($0)]" }.joined(separator: ", ")))
        }
        let destinationNames = Set(document.tables.map(\.name).filter(ConfigSchema.isDestinationTable))
        for table in document.tables.dropFirst() {
            let keyNames: [String]
            if table.name == ConfigSchema.deadlinesSection {
                continue  // any unit may have a deadline
            } else if table.name.hasSuffix("." + ConfigSchema.deadlinesSection) && table.name.hasPrefix(ConfigSchema.destinationPrefix) {
                let owner = String(table.name.dropLast(ConfigSchema.deadlinesSection.count + 1))
                if !destinationNames.contains(owner) {
                    problems.append(ConfigProblem(line: table.line, section: nil, key: nil,
                                                  problem: "[\(table.name)] belongs to no [\(owner)] table",
                                                  allowed: "[destination.NAME.deadlines] after a [destination.NAME] table"))
                }
                continue
            } else if ConfigSchema.isDestinationTable(table.name) {
                keyNames = ConfigSchema.destinationKeys.map(\.name)
            } else if let section = ConfigSchema.sections.first(where: { $0.name == table.name }) {
                keyNames = section.keys.map(\.name)
            } else {
                var problem = "unknown section [\(table.name)]"
                if let hint = ConfigHint.closest(to: table.name, among: sectionNames) { problem += " (did you mean [\(hint)]?)" }
                problems.append(ConfigProblem(line: table.line, section: nil, key: nil, problem: problem,
                                              allowed: (sectionNames.map { "[\($0)]" } + ["[destination.NAME]"]).joined(separator: ", ")))
                continue
            }
            for entry in table.entries where !keyNames.contains(entry.key) {
                var problem = "unknown key \(entry.key.debugQuoted)"
                if let hint = ConfigHint.closest(to: entry.key, among: keyNames) { problem += " (did you mean \(hint.debugQuoted)?)" }
                problems.append(ConfigProblem(line: entry.line, section: table.name, key: nil, problem: problem,
                                              allowed: keyNames.joined(separator: ", ")))
            }
        }
    }

    // MARK: lookups

    func entry(_ section: String, _ key: String) -> TOMLEntry? {
        document.table(section)?.entry(key)
    }

    func line(_ section: String, _ key: String) -> Int? { entry(section, key)?.line }

    func isDamaged(_ section: String, _ key: String) -> Bool {
        document.table(section)?.damagedKeys.contains(key) ?? false
    }

    mutating func report(_ line: Int?, _ section: String, _ key: String, _ problem: String, allowed: String? = nil) {
        problems.append(ConfigProblem(line: line, section: section, key: key, problem: problem,
                                      allowed: allowed ?? ConfigSchema.allowed(section, key)))
    }

    /// The string value of a key, or nil when absent or of another type (reported).
    mutating func stringValue(_ section: String, _ key: String) -> (value: String, line: Int)? {
        guard let entry = entry(section, key) else { return nil }
        guard case .string(let text) = entry.value else {
            report(entry.line, section, key, "expected a string, got \(entry.value.typeName) \(entry.value.tomlText)")
            return nil
        }
        return (text, entry.line)
    }

    mutating func optionalString(_ section: String, _ key: String) -> (value: String, line: Int?) {
        if let found = stringValue(section, key) { return (found.value, found.line) }
        return ("", nil)
    }

    mutating func requiredString(_ section: String, _ key: String) -> (value: String, line: Int?) {
        if let found = stringValue(section, key) { return (found.value, found.line) }
        if entry(section, key) == nil && !isDamaged(section, key) {
            let line = document.table(section)?.line
            report(line == 0 ? nil : line, section, key, "required key missing")
        }
        return ("", nil)
    }

    mutating func string(_ section: String, _ key: String, _ fallback: String, validate: (String) -> String?) -> String {
        guard let found = stringValue(section, key) else { return fallback }
        if let problem = validate(found.value) {
            report(found.line, section, key, "\(found.value.debugQuoted) \(problem)")
            return fallback
        }
        return found.value
    }

    mutating func path(_ section: String, _ key: String, _ fallback: String, required: Bool) -> String {
        let text = string(section, key, fallback) { value in
            if required && value.isEmpty { return "is empty" }
            return ConfigValidation.noControlCharacters(value)
        }
        return ConfigPath.resolve(text, against: baseDirectory)
    }

    mutating func parsed<T>(_ section: String, _ key: String, _ fallback: T,
                                    _ parse: (String) throws(ConfigValueError) -> T,
                                    check: (T) -> String? = { _ in nil }) -> T {
        guard let found = stringValue(section, key) else { return fallback }
        do {
            let value = try parse(found.value)
            if let problem = check(value) {
                report(found.line, section, key, "\(found.value.debugQuoted) \(problem)")
                return fallback
            }
            return value
        } catch {
            let allowed = error.allowed.isEmpty ? nil : error.allowed
            report(found.line, section, key, "bad value \(found.value.debugQuoted): \(error.reason)", allowed: allowed)
            return fallback
        }
    }

    /// An array of strings, each checked; a bad one is reported and left out.
    mutating func strings(_ section: String, _ key: String, validate: (String) -> String?) -> [String] {
        guard let entry = entry(section, key) else { return [] }
        guard case .array(let items) = entry.value else {
            report(entry.line, section, key, "expected an array of strings, got \(entry.value.typeName) \(entry.value.tomlText)")
            return []
        }
        var values: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                report(entry.line, section, key, "expected strings, got \(item.typeName) \(item.tomlText)")
                continue
            }
            if let problem = validate(text) {
                report(entry.line, section, key, "\(text.debugQuoted) \(problem)")
                continue
            }
            values.append(text)
        }
        return values
    }

    mutating func boolean(_ section: String, _ key: String, _ fallback: Bool) -> Bool {
        guard let entry = entry(section, key) else { return fallback }
        guard case .boolean(let value) = entry.value else {
            report(entry.line, section, key, "expected true or false, got \(entry.value.typeName) \(entry.value.tomlText)")
            return fallback
        }
        return value
    }

    mutating func integer(_ section: String, _ key: String, _ fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let entry = entry(section, key) else { return fallback }
        guard case .integer(let value) = entry.value else {
            report(entry.line, section, key, "expected an integer, got \(entry.value.typeName) \(entry.value.tomlText)")
            return fallback
        }
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            report(entry.line, section, key, "\(value) is out of range")
            return fallback
        }
        return Int(value)
    }
}
