/// Turns a parsed TOML document into a `Config`, collecting every problem rather than
/// stopping at the first.
struct ConfigDecoder {
    let document: TOMLDocument
    let baseDirectory: String
    private(set) var problems: [ConfigProblem] = []

    init(document: TOMLDocument, baseDirectory: String) {
        self.document = document
        self.baseDirectory = baseDirectory
    }

    mutating func decode() -> Config {
        checkStructure()
        let number = requiredString("centre", "number")
        let url = requiredString("portal", "url")
        var config = Config(centreNumber: number.value, portalURL: url.value)
        if let line = number.line, let problem = ConfigValidation.centreNumber(number.value) {
            report(line, "centre", "number", "\(number.value.debugQuoted) \(problem)")
        }
        if let line = url.line, let problem = ConfigValidation.url(url.value, optional: false) {
            report(line, "portal", "url", "\(url.value.debugQuoted) \(problem)")
        }

        var portal = config.portal
        portal.largeFileURL = string("portal", "large_file_url", portal.largeFileURL) { ConfigValidation.url($0, optional: true) }
        portal.username = string("portal", "username", portal.username) { ConfigValidation.noControlCharacters($0) }
        portal.passwordFile = path("portal", "password_file", portal.passwordFile, required: false)
        portal.caFile = path("portal", "ca_file", portal.caFile, required: false)
        portal.pinnedPublicKey = string("portal", "pinned_public_key", portal.pinnedPublicKey) { ConfigValidation.pinnedKey($0) }
        portal.proxy = string("portal", "proxy", portal.proxy) { ConfigValidation.noControlCharacters($0) }
        portal.uploadOrigins = strings("portal", "upload_origins") { ConfigValidation.origin($0) }
        portal.sendCredentialsToUploadOrigins = boolean("portal", "send_credentials_to_upload_origins",
                                                        portal.sendCredentialsToUploadOrigins)
        config.portal = portal

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
        config.folders = folders

        var policy = config.policy
        policy.maxVideoSize = parsed("policy", "max_video_size", policy.maxVideoSize, ByteSize.parse) {
            $0.bytes > 0 ? nil : "must be more than 0B"
        }
        let limitLine = line("policy", "standard_upload_limit")
        policy.standardUploadLimit = parsed("policy", "standard_upload_limit", policy.standardUploadLimit, ByteSize.parse)
        policy.maxFileSize = parsed("policy", "max_file_size", policy.maxFileSize, ByteSize.parse) {
            $0.bytes > 0 ? nil : "must be more than 0B"
        }
        policy.settleTime = parsed("policy", "settle_time", policy.settleTime, DurationText.parse)
        if policy.standardUploadLimit > policy.maxVideoSize {
            report(limitLine ?? line("policy", "max_video_size"), "policy", "standard_upload_limit",
                   "\(policy.standardUploadLimit.description.debugQuoted) is larger than max_video_size \(policy.maxVideoSize.description.debugQuoted)")
        }
        config.policy = policy

        var labels = config.labels
        labels.manifest = string("labels", "manifest", labels.manifest) { ConfigValidation.manifest($0) }
        labels.layout = string("labels", "layout", labels.layout) { [manifest = labels.manifest] in
            ConfigValidation.layout($0, hasManifest: !manifest.isEmpty)
        }
        config.labels = labels

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
        return config
    }

    private mutating func schedule() -> [RateWindow] {
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

    private mutating func checkStructure() {
        let sectionNames = ConfigSchema.sections.map(\.name)
        for entry in document.root.entries {
            problems.append(ConfigProblem(line: entry.line, section: nil, key: entry.key,
                                          problem: "key outside any section",
                                          allowed: "keys inside one of " + sectionNames.map { "[\($0)]" }.joined(separator: ", ")))
        }
        for table in document.tables.dropFirst() {
            guard let section = ConfigSchema.sections.first(where: { $0.name == table.name }) else {
                var problem = "unknown section [\(table.name)]"
                if let hint = ConfigHint.closest(to: table.name, among: sectionNames) { problem += " (did you mean [\(hint)]?)" }
                problems.append(ConfigProblem(line: table.line, section: nil, key: nil, problem: problem,
                                              allowed: sectionNames.map { "[\($0)]" }.joined(separator: ", ")))
                continue
            }
            let keyNames = section.keys.map(\.name)
            for entry in table.entries where !keyNames.contains(entry.key) {
                var problem = "unknown key \(entry.key.debugQuoted)"
                if let hint = ConfigHint.closest(to: entry.key, among: keyNames) { problem += " (did you mean \(hint.debugQuoted)?)" }
                problems.append(ConfigProblem(line: entry.line, section: table.name, key: nil, problem: problem,
                                              allowed: keyNames.joined(separator: ", ")))
            }
        }
    }

    // MARK: lookups

    private func entry(_ section: String, _ key: String) -> TOMLEntry? {
        document.table(section)?.entry(key)
    }

    private func line(_ section: String, _ key: String) -> Int? { entry(section, key)?.line }

    private func isDamaged(_ section: String, _ key: String) -> Bool {
        document.table(section)?.damagedKeys.contains(key) ?? false
    }

    private mutating func report(_ line: Int?, _ section: String, _ key: String, _ problem: String, allowed: String? = nil) {
        problems.append(ConfigProblem(line: line, section: section, key: key, problem: problem,
                                      allowed: allowed ?? ConfigSchema.allowed(section, key)))
    }

    /// The string value of a key, or nil when absent or of another type (reported).
    private mutating func stringValue(_ section: String, _ key: String) -> (value: String, line: Int)? {
        guard let entry = entry(section, key) else { return nil }
        guard case .string(let text) = entry.value else {
            report(entry.line, section, key, "expected a string, got \(entry.value.typeName) \(entry.value.tomlText)")
            return nil
        }
        return (text, entry.line)
    }

    private mutating func requiredString(_ section: String, _ key: String) -> (value: String, line: Int?) {
        if let found = stringValue(section, key) { return (found.value, found.line) }
        if entry(section, key) == nil && !isDamaged(section, key) {
            let line = document.table(section)?.line
            report(line == 0 ? nil : line, section, key, "required key missing")
        }
        return ("", nil)
    }

    private mutating func string(_ section: String, _ key: String, _ fallback: String, validate: (String) -> String?) -> String {
        guard let found = stringValue(section, key) else { return fallback }
        if let problem = validate(found.value) {
            report(found.line, section, key, "\(found.value.debugQuoted) \(problem)")
            return fallback
        }
        return found.value
    }

    private mutating func path(_ section: String, _ key: String, _ fallback: String, required: Bool) -> String {
        let text = string(section, key, fallback) { value in
            if required && value.isEmpty { return "is empty" }
            return ConfigValidation.noControlCharacters(value)
        }
        return ConfigPath.resolve(text, against: baseDirectory)
    }

    private mutating func parsed<T>(_ section: String, _ key: String, _ fallback: T,
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
    private mutating func strings(_ section: String, _ key: String, validate: (String) -> String?) -> [String] {
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

    private mutating func boolean(_ section: String, _ key: String, _ fallback: Bool) -> Bool {
        guard let entry = entry(section, key) else { return fallback }
        guard case .boolean(let value) = entry.value else {
            report(entry.line, section, key, "expected true or false, got \(entry.value.typeName) \(entry.value.tomlText)")
            return fallback
        }
        return value
    }

    private mutating func integer(_ section: String, _ key: String, _ fallback: Int, range: ClosedRange<Int>) -> Int {
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
