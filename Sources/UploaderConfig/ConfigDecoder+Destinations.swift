/// `[destination.NAME]` tables (one awarding body each, over the defaults of `[centre]`, `[portal]`,
/// `[policy]` and `[labels]`) and `[deadlines]`.
extension ConfigDecoder {
    // MARK: destinations

    /// `[deadlines]` (or a destination's) over `base`: each key a unit, each value when it is due.
    mutating func deadlines(_ section: String, base: [String: Deadline]) -> [String: Deadline] {
        var deadlines = base
        for entry in document.table(section)?.entries ?? [] {
            if let deadline = parsed(section, entry.key, Deadline?.none, { text throws(ConfigValueError) in try Deadline.parse(text) }) {
                deadlines[entry.key] = deadline
            }
        }
        return deadlines
    }

    /// One `[destination.NAME]` table over the defaults of `[centre]`, `[portal]`, `[policy]`, `[labels]`.
    mutating func destination(_ table: TOMLTable, defaults: Config) -> Config.Destination? {
        let section = table.name
        let name = String(section.dropFirst(ConfigSchema.destinationPrefix.count))
        if let problem = ConfigValidation.destinationName(name) {
            problems.append(ConfigProblem(line: table.line, section: nil, key: nil, problem: "[\(section)]: the name \(name.debugQuoted) \(problem)",
                                          allowed: "names of lower-case letters, digits and \"-\", such as [destination.cityandguilds]"))
            return nil
        }
        var destination = Config.Destination(implicitFrom: defaults)
        destination.name = name
        destination.folder = string(section, "folder", name) { ConfigValidation.destinationFolder($0) }
        destination.centre = string(section, "centre", defaults.centre.number) { ConfigValidation.centreNumber($0) }
        if destination.centre.isEmpty {
            report(table.line, section, "centre", "no centre number: set centre here or [centre] number")
        }
        destination.portal = portal(section, base: defaults.portal)
        destination.transferProtocol = destination.portal.transferProtocol
        checkS3(section, destination.portal, tableLine: table.line)
        if destination.portal.url.isEmpty && entry(section, "url") == nil {
            report(table.line, section, "url", "required key missing (here or in [portal])")
        }
        destination.policy = policy(section, base: defaults.policy)
        destination.labels = labels(section, base: defaults.labels)
        destination.deadlines = deadlines(section + "." + ConfigSchema.deadlinesSection, base: defaults.deadlines)
        return destination
    }

    /// An S3 portal must name its bucket, region and access key; said once, where it is used.
    mutating func checkS3(_ section: String, _ portal: Config.Portal, tableLine: Int?) {
        guard portal.transferProtocol == .s3 else { return }
        for (key, value) in [("bucket", portal.bucket), ("region", portal.region), ("access_key_id", portal.accessKeyID)]
        where value.isEmpty && !isDamaged(section, key) {
            let inherited = section == "portal" ? "" : " (here or in [portal])"
            report(line(section, "protocol") ?? tableLine, section, key, "required with protocol = \"s3\"\(inherited)")
        }
    }

    /// Two destinations in one folder, one inside another, or one that is the uploaded/rejected/
    /// state folder (or holds it): each said with the table's line.
    mutating func checkDestinationFolders(_ config: Config, tables: [TOMLTable]) {
        func line(of destination: Config.Destination) -> Int? {
            let section = ConfigSchema.destinationPrefix + destination.name
            return self.line(section, "folder") ?? tables.first { $0.name == section }?.line
        }
        let destinations = config.destinations
        for (index, a) in destinations.enumerated() {
            for b in destinations[..<index] {
                let section = ConfigSchema.destinationPrefix + a.name
                if a.folder == b.folder {
                    report(line(of: a), section, "folder", "\(a.folder.debugQuoted) is also the folder of [destination.\(b.name)]; each awarding body needs its own folder")
                } else if a.folder.hasPrefix(b.folder + "/") || b.folder.hasPrefix(a.folder + "/") {
                    report(line(of: a), section, "folder", "\(a.folder.debugQuoted) and \(b.folder.debugQuoted) of [destination.\(b.name)] are inside one another; give each its own folder beside the others")
                }
            }
            let full = config.folders.drop + "/" + a.folder
            for (key, other) in [("uploaded", config.folders.uploaded), ("rejected", config.folders.rejected), ("state", config.folders.state)]
            where full == other || other.hasPrefix(full + "/") || full.hasPrefix(other + "/") {
                report(line(of: a), ConfigSchema.destinationPrefix + a.name, "folder",
                       "\(a.folder.debugQuoted) is (or holds, or is inside) the \(key) folder \(other.debugQuoted); evidence would be taken from where results are kept")
            }
        }
    }
}
