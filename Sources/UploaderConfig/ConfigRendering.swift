extension Config {
    /// The effective config as TOML: every key, defaults filled in, in documented order.
    /// `parse` accepts it again. There are no secrets in it: `password_file` is only a path.
    public func rendered() -> String {
        let values: [String: [String: TOMLValue]] = [
            "centre": ["number": .string(centre.number)],
            "portal": Self.values(of: portal),
            "folders": [
                "drop": .string(folders.drop),
                "uploaded": .string(folders.uploaded),
                "rejected": .string(folders.rejected),
                "state": .string(folders.state),
                "watch": .string(folders.watch.rawValue),
                "poll_interval": .string(DurationText.format(folders.pollInterval)),
                "status_page": .string(folders.statusPage),
            ],
            "policy": Self.values(of: policy),
            "labels": Self.values(of: labels),
            "transfer": [
                "chunk_size": .string(transfer.chunkSize.description),
                "max_chunk_size": .string(transfer.maxChunkSize.description),
                "parallel_uploads": .integer(Int64(transfer.parallelUploads)),
                "small_file_uploads": .integer(Int64(transfer.smallFileUploads)),
                "max_rate": .string(transfer.maxRate?.description ?? ""),
                "low_speed_time": .string(DurationText.format(transfer.lowSpeedTime)),
                "schedule": .array(transfer.schedule.map { .string($0.description) }),
            ],
            "log": ["level": .string(log.level.rawValue), "format": .string(log.format.rawValue)],
            "notify": ["webhook": .string(notify.webhook), "email": .string(notify.email)],
            "metrics": ["textfile": .string(metrics.textfile)],
            "compress": [
                "ffmpeg": .string(compress.ffmpeg), "ffprobe": .string(compress.ffprobe),
                "threads": .integer(Int64(compress.threads)),
                "cpu_time": .string(DurationText.format(compress.cpuTime)),
                "wall_time": .string(DurationText.format(compress.wallTime)),
            ],
        ]
        var lines: [String] = []
        for section in ConfigSchema.sections {
            if !lines.isEmpty { lines.append("") }
            lines.append("[\(section.name)]")
            for key in section.keys {
                lines.append("\(key.name) = \(values[section.name]?[key.name]?.tomlText ?? "\"\"")")
            }
        }
        func deadlineLines(_ section: String, _ deadlines: [String: Deadline]) {
            guard !deadlines.isEmpty else { return }
            lines.append("")
            lines.append("[\(section)]")
            for (unit, deadline) in deadlines.sorted(by: { $0.key < $1.key }) {
                lines.append("\(TOMLValue.string(unit).tomlText) = \(TOMLValue.string(deadline.description).tomlText)")
            }
        }
        deadlineLines(ConfigSchema.deadlinesSection, deadlines)
        for destination in destinations where !destination.isImplicit {
            var table: [String: TOMLValue] = [
                "folder": .string(destination.folder), "centre": .string(destination.centre),
                "protocol": .string(destination.transferProtocol.rawValue),
            ]
            table.merge(Self.values(of: destination.portal)) { a, _ in a }
            table.merge(Self.values(of: destination.policy)) { a, _ in a }
            table.merge(Self.values(of: destination.labels)) { a, _ in a }
            lines.append("")
            lines.append("[\(ConfigSchema.destinationPrefix)\(destination.name)]")
            for key in ConfigSchema.destinationKeys {
                lines.append("\(key.name) = \(table[key.name]?.tomlText ?? "\"\"")")
            }
            // Only what differs from [deadlines] (the rest is inherited on parsing).
            deadlineLines(ConfigSchema.destinationPrefix + destination.name + "." + ConfigSchema.deadlinesSection,
                          destination.deadlines.filter { deadlines[$0.key] != $0.value })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func values(of portal: Portal) -> [String: TOMLValue] {
        [
            "url": .string(portal.url),
            "large_file_url": .string(portal.largeFileURL),
            "username": .string(portal.username),
            "password_file": .string(portal.passwordFile),
            "ca_file": .string(portal.caFile),
            "pinned_public_key": .string(portal.pinnedPublicKey),
            "proxy": .string(portal.proxy),
            "upload_origins": .array(portal.uploadOrigins.map { .string($0) }),
            "send_credentials_to_upload_origins": .boolean(portal.sendCredentialsToUploadOrigins),
            "protocol": .string(portal.transferProtocol.rawValue),
            "bucket": .string(portal.bucket),
            "region": .string(portal.region),
            "key": .string(portal.key),
            "access_key_id": .string(portal.accessKeyID),
            "secret_file": .string(portal.secretFile),
            "part_size": .string(portal.partSize.description),
        ]
    }

    static func values(of policy: Policy) -> [String: TOMLValue] {
        [
            "max_video_size": .string(policy.maxVideoSize.description),
            "standard_upload_limit": .string(policy.standardUploadLimit.description),
            "max_file_size": .string(policy.maxFileSize.description),
            "settle_time": .string(DurationText.format(policy.settleTime)),
            "reject_encrypted": .boolean(policy.rejectEncrypted),
            "reject_unplayable_video": .boolean(policy.rejectUnplayableVideo),
            "oversize_video": .string(policy.oversizeVideo.rawValue),
        ]
    }

    static func values(of labels: Labels) -> [String: TOMLValue] {
        ["layout": .string(labels.layout), "manifest": .string(labels.manifest)]
    }
}
