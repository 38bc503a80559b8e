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
            ],
            "policy": Self.values(of: policy),
            "labels": Self.values(of: labels),
            "transfer": [
                "chunk_size": .string(transfer.chunkSize.description),
                "max_chunk_size": .string(transfer.maxChunkSize.description),
                "parallel_uploads": .integer(Int64(transfer.parallelUploads)),
                "max_rate": .string(transfer.maxRate?.description ?? ""),
                "low_speed_time": .string(DurationText.format(transfer.lowSpeedTime)),
                "schedule": .array(transfer.schedule.map { .string($0.description) }),
            ],
            "log": ["level": .string(log.level.rawValue), "format": .string(log.format.rawValue)],
        ]
        var lines: [String] = []
        for section in ConfigSchema.sections {
            if !lines.isEmpty { lines.append("") }
            lines.append("[\(section.name)]")
            for key in section.keys {
                lines.append("\(key.name) = \(values[section.name]?[key.name]?.tomlText ?? "\"\"")")
            }
        }
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
        ]
    }

    static func values(of labels: Labels) -> [String: TOMLValue] {
        ["layout": .string(labels.layout), "manifest": .string(labels.manifest)]
    }
}
