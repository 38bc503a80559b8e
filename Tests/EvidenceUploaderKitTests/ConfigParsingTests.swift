@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCore

/// The repository root, found from this file's path.
let configRepositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

@Suite("Config parsing")
struct ConfigParsingTests {
    static let minimal = """
    [centre]
    number = "12345"

    [portal]
    url = "https://portal.example.org/files/"
    """

    func parse(_ text: String) throws(EvidenceError) -> Config {
        try Config.parse(text, source: "test.toml", baseDirectory: "/etc/evidence-uploader")
    }

    /// The error message for `text`, or "" when it parses.
    func problems(_ text: String) -> String {
        do {
            _ = try parse(text)
            return ""
        } catch {
            #expect(error.code == .config)
            return error.message
        }
    }

    @Test func exampleFileGivesTheDefaults() throws {
        let config = try Config.load(path: configRepositoryRoot + "/Config/evidence-uploader.toml")
        let expected = Config(centreNumber: "12345", portalURL: "https://portal.example.org/files/")
        #expect(config == expected)
        #expect(config.folders.drop == "/srv/evidence/drop")
        #expect(config.folders.pollInterval == .seconds(30))
        #expect(config.policy.maxVideoSize == ByteSize(bytes: 2_500_000_000))
        #expect(config.policy.standardUploadLimit == ByteSize(bytes: 150_000_000))
        #expect(config.policy.settleTime == .seconds(10))
        #expect(config.transfer.chunkSize == ByteSize(bytes: 8 << 20))
        #expect(config.transfer.parallelUploads == 2)
        #expect(config.transfer.maxRate == nil)
        #expect(config.transfer.lowSpeedTime == .seconds(60))
        #expect(config.labels == Config.Labels(layout: "{unit}/{candidate}/{file}", manifest: "manifest.csv"))
        #expect(config.log.level == .info && config.log.format == .text)
        #expect(config.portalUsername == "12345")
        #expect(config.effectiveLargeFileURL == "https://portal.example.org/files/")
    }

    @Test func exampleFileDocumentsEveryKeyInOrder() throws {
        let text = try String(decoding: FileBytes.read(path: configRepositoryRoot + "/Config/evidence-uploader.toml", limit: 1 << 20), as: UTF8.self)
        let document = TOMLParser.parse(text).document
        #expect(document.tables.dropFirst().map(\.name) == ConfigSchema.sections.map(\.name))
        for section in ConfigSchema.sections {
            #expect(document.table(section.name)?.entries.map(\.key) == section.keys.map(\.name))
        }
        for line in text.split(separator: "\n") where line.contains(" = ") {
            #expect(line.contains("# "), "key without a comment: \(line)")
        }
    }

    @Test func devFileParsesWithPathsFromItsDirectory() throws {
        let config = try Config.load(path: configRepositoryRoot + "/Config/dev.toml")
        #expect(config.portal.url == "http://127.0.0.1:8088/files/")
        #expect(config.centre.number == "12345")
        #expect(config.folders.drop == configRepositoryRoot + "/.work/demo/drop")
        #expect(config.folders.uploaded == configRepositoryRoot + "/.work/demo/uploaded")
        #expect(config.folders.rejected == configRepositoryRoot + "/.work/demo/rejected")
        #expect(config.folders.state == configRepositoryRoot + "/.work/demo/state")
        #expect(config.policy.settleTime == .seconds(2))
        #expect(config.transfer.chunkSize == ByteSize(bytes: 8 << 20))
    }

    @Test func missingFileIsAConfigError() {
        #expect {
            try Config.load(path: "/nonexistent/config.toml")
        } throws: { error in
            let e = error as? EvidenceError
            return e?.code == .config && e?.message == "cannot read config file \"/nonexistent/config.toml\": No such file or directory"
        }
    }

    static let customised = """
    [centre]
    number = "AB123"
    [portal]
    url = "https://portal.example.org/files/"
    large_file_url = "https://big.example.org/files/"
    username = "officer \\"one\\""
    password_file = "secrets/portal-password"
    ca_file = "/etc/ssl/extra.pem"
    pinned_public_key = "sha256//AAAA"
    proxy = "http://proxy:3128"
    [folders]
    drop = "./drop/../in"
    watch = "poll"
    poll_interval = "1.5s"
    [policy]
    max_video_size = "3GiB"
    standard_upload_limit = "100MiB"
    max_file_size = "1234567B"
    settle_time = "250ms"
    [labels]
    layout = "{file}"
    manifest = "list.csv"
    [transfer]
    chunk_size = "256KiB"
    parallel_uploads = 16
    max_rate = "20Mbit/s"
    low_speed_time = "1h"
    [log]
    level = "warning"
    format = "json"
    """

    @Test("rendered() parses back to the same config", arguments: [minimal, customised])
    func renderedRoundTrips(text: String) throws {
        let config = try parse(text)
        let again = try Config.parse(config.rendered(), source: "rendered", baseDirectory: "/elsewhere")
        #expect(again == config)
        #expect(again.rendered() == config.rendered())
    }

    @Test func customisedValuesAndPaths() throws {
        let config = try parse(Self.customised)
        #expect(config.portal.passwordFile == "/etc/evidence-uploader/secrets/portal-password")
        #expect(config.folders.drop == "/etc/evidence-uploader/in")
        #expect(config.folders.watch == .poll)
        #expect(config.transfer.maxRate == TransferRate(bytesPerSecond: 2_500_000))
        #expect(config.portalUsername == "officer \"one\"")
        #expect(config.effectiveLargeFileURL == "https://big.example.org/files/")
        #expect(config.log.level == .warning && config.log.format == .json)
        let rendered = config.rendered()
        #expect(rendered.contains("password_file = \"/etc/evidence-uploader/secrets/portal-password\""))
        #expect(rendered.contains("[transfer]\nchunk_size = \"256KiB\"\nmax_chunk_size = \"128MiB\"\nparallel_uploads = 16\nmax_rate = \"2.5MB/s\""))
    }

    /// (section, key, TOML value, fragment the message must hold besides key, value and "allowed")
    static let badValues: [(String, String, String, String)] = [
        ("centre", "number", #""12 345""#, "letters and digits"),
        ("centre", "number", #""""#, "is empty"),
        ("portal", "url", #""ftp://x/""#, "does not start with https:// or http://"),
        ("portal", "url", #""http://portal.example.org/files/""#, "plain http is only allowed to a loopback address"),
        ("portal", "url", #""https://user:pw@portal.example.org/""#, "contains credentials"),
        ("portal", "url", #""https:///files""#, "has no host"),
        ("portal", "large_file_url", #""http://10.0.0.1/files/""#, "plain http is only allowed to a loopback address"),
        ("portal", "pinned_public_key", #""md5//x""#, "does not start with sha256//"),
        ("folders", "drop", #""""#, "is empty"),
        ("folders", "watch", #""fanotify""#, "unknown mode"),
        ("folders", "poll_interval", #""0s""#, "must be more than 0s"),
        ("folders", "poll_interval", #""30""#, "missing unit"),
        ("policy", "max_video_size", #""2.5Gb""#, "unknown unit \"Gb\""),
        ("policy", "standard_upload_limit", #""3GB""#, "is larger than max_video_size \"2.5GB\""),
        ("policy", "max_file_size", #""0B""#, "must be more than 0B"),
        ("policy", "settle_time", #""-1s""#, "negative duration"),
        ("labels", "layout", #""{unit}/{unit}/{file}""#, "uses {unit} twice"),
        ("labels", "layout", #""{unit}/{candidate}/{file}/x""#, "does not end with the path component {file}"),
        ("labels", "layout", #""{unit}/{candidate}/{name}/{file}""#, "unknown placeholder \"{name}\""),
        ("labels", "layout", #""/{unit}/{candidate}/{file}""#, "is not a relative path"),
        ("labels", "layout", #""{unit}/../{candidate}/{file}""#, "\"..\""),
        ("labels", "layout", #""{unit}/{candidate}/x{file}""#, "does not end with the path component {file}"),
        ("labels", "manifest", #""lists/manifest.csv""#, "contains \"/\""),
        ("transfer", "chunk_size", #""128KiB""#, "is out of range"),
        ("transfer", "chunk_size", #""2GiB""#, "is out of range"),
        ("transfer", "parallel_uploads", "0", "out of range"),
        ("transfer", "parallel_uploads", "17", "out of range"),
        ("transfer", "parallel_uploads", #""2""#, "expected an integer, got a string"),
        ("transfer", "max_rate", #""fast""#, "bad value"),
        ("transfer", "low_speed_time", #""500ms""#, "is shorter than 1s"),
        ("transfer", "low_speed_time", "60", "expected a string, got an integer"),
        ("log", "level", #""verbose""#, "unknown level"),
        ("log", "format", "true", "expected a string, got a boolean"),
    ]

    @Test("each bad value names the key, the value and what is allowed", arguments: badValues)
    func badValue(section: String, key: String, value: String, fragment: String) {
        var sections: [String: [String]] = ["centre": ["number = \"12345\""], "portal": ["url = \"https://portal.example.org/files/\""]]
        sections[section, default: []].removeAll { $0.hasPrefix("\(key) =") }
        sections[section, default: []].append("\(key) = \(value)")
        var lines: [String] = []
        var badLine = 0
        for name in ConfigSchema.sections.map(\.name) {
            guard let entries = sections[name] else { continue }
            lines.append("[\(name)]")
            for entry in entries {
                lines.append(entry)
                if entry.hasPrefix("\(key) =") && name == section { badLine = lines.count }
            }
        }
        let message = problems(lines.joined(separator: "\n"))
        let shownValue: String
        if case .string(let text)? = TOMLParser.parse("v = \(value)").document.root.entry("v")?.value {
            shownValue = text.debugQuoted
        } else {
            shownValue = value
        }
        #expect(message.hasPrefix("test.toml:\(badLine): [\(section)] \(key): "), "\(message)")
        #expect(message.contains(shownValue), "\(message)")
        #expect(message.contains("; allowed: "), "\(message)")
        #expect(message.contains(fragment), "\(message)")
        #expect(!message.contains("\n"), "one problem expected: \(message)")
    }

    @Test func plainHTTPToLoopbackIsAccepted() throws {
        for url in ["http://127.0.0.1:8088/files/", "http://localhost/files/", "http://[::1]:8080/files/", "HTTPS://x"] {
            let text = "[centre]\nnumber = \"1\"\n[portal]\nurl = \"\(url)\"\n"
            if url.hasPrefix("HTTPS") {
                #expect(throws: EvidenceError.self) { try parse(text) }
            } else {
                #expect(try parse(text).portal.url == url)
            }
        }
    }

    @Test func layoutWithoutLabelsIsFineWithAManifest() throws {
        let config = try parse(Self.minimal + "\n[labels]\nlayout = \"{file}\"\n")
        #expect(config.labels.layout == "{file}")
        #expect(problems(Self.minimal + "\n[labels]\nlayout = \"{file}\"\nmanifest = \"\"\n").contains("lacks {unit} and {candidate} and no manifest is set"))
    }

    @Test func unknownKeyGetsAHint() {
        let message = problems(Self.minimal + "\nuri = \"x\"\n")
        #expect(message == "test.toml:6: [portal] unknown key \"uri\" (did you mean \"url\"?); allowed: protocol, url, large_file_url, username, password_file, ca_file, pinned_public_key, proxy, upload_origins, send_credentials_to_upload_origins, bucket, region, key, access_key_id, secret_file, part_size")
    }

    @Test func unknownSectionGetsAHint() {
        let message = problems(Self.minimal + "\n[transfers]\nchunk_size = \"8MiB\"\n")
        #expect(message.hasPrefix("test.toml:6: unknown section [transfers] (did you mean [transfer]?); allowed: [centre], [portal]"))
        #expect(!problems(Self.minimal + "\n[zzzzzzzz]\n").contains("did you mean"))
    }

    @Test func keysOutsideASectionAreErrors() {
        #expect(problems("number = \"1\"\n" + Self.minimal).hasPrefix("test.toml:1: number: key outside any section"))
    }

    @Test func missingRequiredKeys() {
        let message = problems("[centre]\n[portal]\nusername = \"x\"\n")
        #expect(message == """
        test.toml:1: [centre] number: required key missing; allowed: the centre number, letters and digits only
        test.toml:2: [portal] url: required key missing; allowed: \(ConfigSchema.urlAllowed)
        """)
        #expect(problems("").contains("test.toml: [centre] number: required key missing"))
    }

    @Test func allProblemsAreReportedTogetherInLineOrder() {
        let text = """
        [centre]
        number = "12 345"
        [portal]
        url = "http://portal.example.org/"
        colour = "blue"
        [transfer]
        parallel_uploads = 99
        this line is garbage
        chunk_size = "8Mib"
        """
        let lines = problems(text).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.map { $0.split(separator: ":")[1] } == ["2", "4", "5", "7", "8", "9"])
    }

    @Test func syntaxErrorDoesNotAlsoReportTheKeyMissing() {
        let message = problems("[centre]\nnumber = \"12345\n[portal]\nurl = \"https://x/\"\n")
        #expect(message == "test.toml:2: unterminated string; a string must end with \" on the same line")
    }

    @Test func duplicateKeysAndInvalidUTF8AreConfigErrors() throws {
        #expect(problems(Self.minimal + "\nurl = \"https://y/\"\n").contains("test.toml:6: duplicate key \"url\" in [portal] (first defined on line 5)"))
        do {
            _ = try Config.parse(bytes: Array((Self.minimal + "\nproxy = \"").utf8) + [0xff, 0x22], source: "t", baseDirectory: "/")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "t:6: invalid UTF-8 byte sequence")
        }
    }

    @Test func portalUsernameFallsBackToCentreNumber() throws {
        var config = try parse(Self.minimal)
        #expect(config.portalUsername == "12345")
        config.portal.username = "exams"
        #expect(config.portalUsername == "exams")
        config.portal.largeFileURL = "https://large/"
        #expect(config.effectiveLargeFileURL == "https://large/")
    }

    @Test func mutatedExampleFilesNeverCrash() throws {
        let example = try FileBytes.read(path: configRepositoryRoot + "/Config/evidence-uploader.toml", limit: 1 << 20)
        var generator = SplitMix(seed: 7)
        let replacements: [UInt8] = Array("[]=\"'#\\.,{}0 \n".utf8) + [0x00, 0x80, 0xff]
        for _ in 0..<300 {
            var bytes = example
            for _ in 0..<(1 + generator.next() % 6) {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = replacements[Int(generator.next() % UInt64(replacements.count))]
            }
            do {
                _ = try Config.parse(bytes: bytes, source: "fuzz", baseDirectory: "/")
            } catch {
                #expect(error.code == .config)
                #expect(error.message.split(separator: "\n").allSatisfy { $0.hasPrefix("fuzz") })
            }
        }
    }
}
