/// The sections and keys the config file may hold, in documented order, with what each allows.
enum ConfigSchema {
    struct Key {
        let name: String
        let allowed: String
    }

    static let sections: [(name: String, keys: [Key])] = [
        ("centre", [
            Key(name: "number", allowed: "the centre number, letters and digits only"),
        ]),
        ("portal", [
            Key(name: "protocol", allowed: "\"tus\" or \"s3\""),
            Key(name: "url", allowed: urlAllowed),
            Key(name: "large_file_url", allowed: "\"\" (use url) or " + urlAllowed),
            Key(name: "username", allowed: "any text; \"\" means the centre number"),
            Key(name: "password_file", allowed: "\"\" or the path of a file with mode 0600 holding the password"),
            Key(name: "ca_file", allowed: "\"\" or the path of a PEM CA bundle"),
            Key(name: "pinned_public_key", allowed: "\"\" or libcurl's \"sha256//<base64>\" form"),
            Key(name: "proxy", allowed: "\"\" (use https_proxy) or a proxy URL such as \"http://proxy:3128\""),
            Key(name: "upload_origins", allowed: "an array of origins (scheme, host and optional port, no path) such as [\"https://uploads.example.org\"]: where the portal may send uploads besides its own origin"),
            Key(name: "send_credentials_to_upload_origins", allowed: "true or false"),
            Key(name: "bucket", allowed: "S3 only: a bucket name, 3 to 63 lower-case letters, digits, \".\" and \"-\""),
            Key(name: "region", allowed: "S3 only: a region such as \"eu-west-2\" (lower-case letters, digits and \"-\")"),
            Key(name: "key", allowed: "S3 only: the object key, a pattern of {centre}, {unit}, {candidate} and {file} such as \"{centre}/{unit}/{candidate}/{file}\""),
            Key(name: "access_key_id", allowed: "S3 only: the access key id, visible ASCII without spaces"),
            Key(name: "secret_file", allowed: "S3 only: \"\" or the path of a file with mode 0600 holding the secret access key (or the systemd credential \"s3-secret\" / \"NAME-s3-secret\")"),
            Key(name: "part_size", allowed: "S3 only: a size from 5MiB to 5GiB, such as \"16MiB\"; grown so a file fits in 10,000 parts"),
        ]),
        ("folders", [
            Key(name: "drop", allowed: "a folder path"),
            Key(name: "uploaded", allowed: "a folder path"),
            Key(name: "rejected", allowed: "a folder path"),
            Key(name: "state", allowed: "a folder path"),
            Key(name: "watch", allowed: "\"inotify\" or \"poll\""),
            Key(name: "poll_interval", allowed: "a duration above 0 such as \"30s\"; units ms, s, m, h"),
            Key(name: "status_page", allowed: "\"\" (none) or a file name without \"/\" ending in .html, such as \"UPLOAD-STATUS.html\""),
        ]),
        ("policy", [
            Key(name: "max_video_size", allowed: "a size above 0B such as \"2.5GB\"; units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"),
            Key(name: "standard_upload_limit", allowed: "a size no larger than max_video_size, such as \"150MB\""),
            Key(name: "max_file_size", allowed: "a size above 0B such as \"2.5GB\"; units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB"),
            Key(name: "settle_time", allowed: "a duration such as \"10s\" or \"0s\"; units ms, s, m, h"),
            Key(name: "reject_encrypted", allowed: "true or false"),
            Key(name: "reject_unplayable_video", allowed: "true or false"),
            Key(name: "oversize_video", allowed: "\"reject\" or \"compress\" (with ffmpeg, settings in [compress])"),
        ]),
        ("labels", [
            Key(name: "layout", allowed: "a relative path pattern of {unit}, {candidate} and {file} placeholders ending in /{file}, such as \"{unit}/{candidate}/{file}\"; {unit} and {candidate} may be left out only when a manifest is set"),
            Key(name: "manifest", allowed: "\"\" (no manifest) or a file name without \"/\", such as \"manifest.csv\""),
        ]),
        ("transfer", [
            Key(name: "chunk_size", allowed: "a size from 256KiB to 1GiB, such as \"8MiB\""),
            Key(name: "max_chunk_size", allowed: "a size from chunk_size to 1GiB, such as \"128MiB\"; equal to chunk_size for fixed chunks"),
            Key(name: "parallel_uploads", allowed: "an integer from 1 to 16"),
            Key(name: "max_rate", allowed: "\"\" (unlimited) or a rate such as \"20Mbit/s\" or \"2.5MB/s\""),
            Key(name: "low_speed_time", allowed: "a duration of at least 1s, such as \"60s\"; units ms, s, m, h"),
            Key(name: "schedule", allowed: "an array of windows " + RateWindow.allowed),
            Key(name: "small_file_uploads", allowed: "an integer from 0 to 32"),
        ]),
        ("log", [
            Key(name: "level", allowed: LogLevelSetting.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")),
            Key(name: "format", allowed: "\"text\" or \"json\""),
        ]),
        ("notify", [
            Key(name: "webhook", allowed: "\"\" (none) or " + urlAllowed),
            Key(name: "email", allowed: "\"\" (none) or one mail address such as \"exams@school.example.org\", sent with /usr/sbin/sendmail"),
        ]),
        ("compress", [
            Key(name: "ffmpeg", allowed: "the path of the ffmpeg program, such as \"/usr/bin/ffmpeg\""),
            Key(name: "ffprobe", allowed: "the path of the ffprobe program, such as \"/usr/bin/ffprobe\""),
            Key(name: "threads", allowed: "an integer from 1 to 64"),
            Key(name: "cpu_time", allowed: "a duration of at least 1s, such as \"4h\"; units ms, s, m, h"),
            Key(name: "wall_time", allowed: "a duration of at least 1s, such as \"8h\"; units ms, s, m, h"),
        ]),
        ("metrics", [
            Key(name: "textfile", allowed: "\"\" (none) or the path of a file ending in .prom, such as \"/var/lib/prometheus/node-exporter/evidence_uploader.prom\""),
        ]),
    ]

    /// `[deadlines]` (and `[destination.NAME.deadlines]`): unit = "YYYY-MM-DD HH:MM", any units.
    static let deadlinesSection = "deadlines"
    static let deadlineAllowed = "a local date and time \"YYYY-MM-DD HH:MM\" (or a date \"YYYY-MM-DD\", meaning 23:59 that day), keyed by unit"


    /// `[destination.NAME]` tables: one awarding body each.
    static let destinationPrefix = "destination."

    /// "destination.NAME" (not "destination.NAME.deadlines").
    static func isDestinationTable(_ name: String) -> Bool {
        name.hasPrefix(destinationPrefix) && !name.dropFirst(destinationPrefix.count).contains(".")
    }

    /// What a `[destination.NAME]` table may hold: its own keys, then any key of `[portal]`,
    /// `[policy]` and `[labels]` (unset = the value of that section).
    static var destinationKeys: [Key] {
        [
            Key(name: "folder", allowed: "its folder inside the drop folder, a relative path such as \"cityandguilds\"; default: the destination's name"),
            Key(name: "centre", allowed: "the centre's number with this awarding body, letters and digits; default: [centre] number"),
        ] + ["portal", "policy", "labels"].flatMap { name in sections.first { $0.name == name }?.keys ?? [] }
    }

    static let urlAllowed = "an https:// URL such as \"https://portal.example.org/files/\" (http:// only to a loopback address: 127.0.0.0/8, localhost or [::1])"

    static func key(_ section: String, _ name: String) -> Key? {
        if section == deadlinesSection || section.hasSuffix("." + deadlinesSection) { return Key(name: name, allowed: deadlineAllowed) }
        if section.hasPrefix(destinationPrefix) { return destinationKeys.first { $0.name == name } }
        return sections.first { $0.name == section }?.keys.first { $0.name == name }
    }

    static func allowed(_ section: String, _ name: String) -> String {
        key(section, name)?.allowed ?? ""
    }
}
