@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCore
@testable import UploaderJournal

/// `[destination.NAME]`: one awarding body each, over the defaults of the ordinary sections.
@Suite("Config destinations")
struct ConfigDestinationsTests {
    static let base = """
    [centre]
    number = "12345"

    [folders]
    drop = "/srv/evidence/drop"
    uploaded = "/srv/evidence/uploaded"
    rejected = "/srv/evidence/rejected"
    state = "/var/lib/evidence-uploader"

    [policy]
    max_video_size = "2.5GB"

    """

    static let two = base + """
    [portal]
    url = "https://portal.example.org/files/"

    [destination.cityandguilds]
    url = "https://cg.example.org/files/"
    standard_upload_limit = "150MB"

    [destination.cmi]
    folder = "cmi-evidence"
    centre = "C77"
    max_video_size = "10GB"
    standard_upload_limit = "10GB"
    layout = "{candidate}/{unit}/{file}"
    """

    func parse(_ text: String) throws(EvidenceError) -> Config {
        try Config.parse(text, source: "test.toml", baseDirectory: "/etc/evidence-uploader")
    }

    func problems(_ text: String) -> String {
        do {
            _ = try parse(text)
            return ""
        } catch {
            return error.message
        }
    }

    @Test("without destination tables there is one implicit destination: today's sections")
    func implicit() throws {
        let config = try parse(Self.base + "[portal]\nurl = \"https://portal.example.org/files/\"\n")
        #expect(config.destinations.count == 1 && !config.hasNamedDestinations)
        let only = try #require(config.destinations.first)
        #expect(only.name == "" && only.folder == "" && only.centre == "12345")
        #expect(only.portal == config.portal && only.policy == config.policy && only.labels == config.labels)
        #expect(config.destination(forRelativePath: "8711-305/1234/a.mp4")?.innerPath == "8711-305/1234/a.mp4")
        #expect(config.manifestPaths == ["": "manifest.csv"])
    }

    @Test("each destination takes what it sets and inherits the rest")
    func inheritance() throws {
        let config = try parse(Self.two)
        #expect(config.destinations.map(\.name) == ["cityandguilds", "cmi"])
        let cg = try #require(config.destination(named: "cityandguilds"))
        #expect(cg.folder == "cityandguilds" && cg.centre == "12345" && cg.portalUsername == "12345")
        #expect(cg.portal.url == "https://cg.example.org/files/" && cg.policy.maxVideoSize.bytes == 2_500_000_000)
        #expect(cg.policy.standardUploadLimit.bytes == 150_000_000)
        let cmi = try #require(config.destination(named: "cmi"))
        #expect(cmi.folder == "cmi-evidence" && cmi.centre == "C77")
        #expect(cmi.portal.url == "https://portal.example.org/files/" && cmi.policy.maxVideoSize.bytes == 10_000_000_000)
        #expect(cmi.labels.layout == "{candidate}/{unit}/{file}")
        #expect(config.destination(forRelativePath: "cmi-evidence/1234/U1/a.pdf")?.destination.name == "cmi")
        #expect(config.destination(forRelativePath: "cmi-evidence/1234/U1/a.pdf")?.innerPath == "1234/U1/a.pdf")
        #expect(config.destination(forRelativePath: "stray.pdf") == nil)
        #expect(config.destination(forRelativePath: "cmi-evidencex/a.pdf") == nil)
        #expect(config.manifestPaths == ["cityandguilds": "cityandguilds/manifest.csv", "cmi": "cmi-evidence/manifest.csv"])
    }

    @Test("[portal] is optional with destinations; rendered() parses back to the same config")
    func roundTrip() throws {
        let config = try parse(Self.base + """
        [destination.ocr]
        url = "https://ocr.example.org/files/"
        centre = "67890"
        upload_origins = ["https://store.example.org"]
        """)
        #expect(config.portal.url == "")
        #expect(try parse(config.rendered()) == config)
        #expect(try parse(parse(Self.two).rendered()) == parse(Self.two))
    }

    @Test("the example destinations parse", arguments: ["cityandguilds", "ocr", "cmi"])
    func examples(_ name: String) throws {
        let text = try String(decoding: FileBytes.read(path: configRepositoryRoot + "/Config/examples/\(name).toml", limit: 1 << 20), as: UTF8.self)
        let config = try parse(Self.base + text)
        #expect(config.destinations.map(\.name) == [name])
    }

    @Test("bad destinations are each named with their line", arguments: [
        ("[destination.a]\nurl = \"https://a.example/\"\n[destination.b]\nfolder = \"a\"\nurl = \"https://b.example/\"\n",
         "test.toml:15: [destination.b] folder: \"a\" is also the folder of [destination.a]"),
        ("[destination.a]\nurl = \"https://a.example/\"\n[destination.b]\nfolder = \"a/b\"\nurl = \"https://b.example/\"\n",
         "are inside one another"),
        ("[destination.a]\nurl = \"https://a.example/\"\nfolder = \"../uploaded\"\n", "has an empty, \".\" or \"..\" path component"),
        ("[destination.Big]\nurl = \"https://a.example/\"\n", "the name \"Big\" may hold only lower-case letters, digits and \"-\""),
        ("[destination.a]\nurl = \"https://a.example/\"\nmax_vidoe_size = \"1GB\"\n", "unknown key \"max_vidoe_size\" (did you mean \"max_video_size\"?)"),
        ("[destination.a]\nfolder = \"a\"\n", "test.toml:12: [destination.a] url: required key missing (here or in [portal])"),
        ("[destination.a]\nurl = \"https://a.example/\"\nprotocol = \"s3\"\n", "required with protocol = \"s3\""),
        ("[destination.a]\nurl = \"https://a.example/\"\nprotocol = \"ftp\"\n", "unknown protocol"),
        ("[destination.a]\nurl = \"http://a.example/\"\n", "plain http is only allowed to a loopback address"),
        ("[destination.a]\nurl = \"https://a.example/\"\ncentre = \"12 3\"\n", "letters and digits"),
    ])
    func bad(_ tables: String, _ expected: String) {
        let message = problems(Self.base + tables)
        #expect(message.contains(expected), "\(message)")
    }

    @Test("a destination folder that is where results are kept is refused")
    func folderIsUploaded() {
        let text = Self.base.replacingOccurrences(of: "/srv/evidence/uploaded", with: "/srv/evidence/drop/done")
            + "[destination.done]\nurl = \"https://a.example/\"\n"
        #expect(problems(text).contains("is (or holds, or is inside) the uploaded folder"), "\(problems(text))")
    }

    @Test("without destinations [centre] number and [portal] url stay required")
    func requiredWithoutDestinations() {
        let message = problems("[folders]\ndrop = \"/d\"\n")
        #expect(message.contains("[centre] number: required key missing") && message.contains("[portal] url: required key missing"))
    }

    @Test("dotted table names parse; [destination.NAME] keeps its whole name")
    func dottedNames() {
        let document = TOMLParser.parse("[destination.cityandguilds]\nfolder = \"cg\"\n[ a . b ]\n").document
        #expect(document.tables.map(\.name) == ["", "destination.cityandguilds", "a.b"])
    }

    @Test("a destination's name is journalled; an old record without one reads as no destination")
    func journalRecord() throws {
        let labels = EvidenceLabels(centre: "12345", candidate: "1234", unit: "8711-305")
        let named = JournalRecord.discovered(id: 7, relativePath: "cg/a.mp4", device: 1, inode: 2, size: 3, mtimeNanos: 4,
                                             labels: labels, fileType: "video/mp4", endpoint: "https://e/", destinationName: "cg")
        #expect(try RecordCodec.decode(RecordCodec.encode(named)) == named)
        let old = JournalRecord.discovered(id: 7, relativePath: "a.mp4", device: 1, inode: 2, size: 3, mtimeNanos: 4,
                                           labels: labels, fileType: "video/mp4", endpoint: "https://e/")
        let oldBytes = RecordCodec.encode(old)
        #expect(RecordCodec.encode(named).count > oldBytes.count)
        guard case let .discovered(_, _, _, _, _, _, _, _, _, name) = try RecordCodec.decode(oldBytes) else {
            Issue.record("not a discovered record")
            return
        }
        #expect(name == "")
    }

    @Test("compaction keeps each item's destination")
    func compactionKeepsTheDestination() throws {
        let labels = EvidenceLabels(centre: "12345", candidate: "1234", unit: "8711-305")
        var state = JournalState()
        state.apply(.discovered(id: 1, relativePath: "cg/a.mp4", device: 1, inode: 2, size: 3, mtimeNanos: 4,
                                labels: labels, fileType: "video/mp4", endpoint: "https://e/", destinationName: "cg"))
        let item = try #require(state.items[1])
        let rewritten = JournalState(records: JournalCompaction.synthesize(item))
        #expect(rewritten.items[1]?.destinationName == "cg")
    }
}


@Suite("Manifest notes")
struct ManifestNotesTests {
    @Test("an optional notes column gives words for the moderator; absent or empty gives none")
    func notes() throws {
        let text = "file,candidate,unit,notes\n8711-305/1234/wall.mp4,1234,8711-305,\"Filmed in two parts, see part 2\"\nbrief.pdf,1234,8711-305,\nplan.pdf,1234,8711-305\n"
        let manifest = try Manifest.parse(Array(text.utf8))
        #expect(manifest.notes(relativePath: "8711-305/1234/wall.mp4") == "Filmed in two parts, see part 2")
        #expect(manifest.notes(relativePath: "any/where/brief.pdf") == nil)
        #expect(manifest.notes(relativePath: "plan.pdf") == nil)
        #expect(manifest.notes(relativePath: "unknown.pdf") == nil)
        let noColumn = try Manifest.parse(Array("file,candidate,unit\nwall.mp4,1,U\n".utf8))
        #expect(noColumn.notes(relativePath: "wall.mp4") == nil)
    }

    @Test("control characters in notes become spaces; over 2000 characters is refused with the line")
    func hostileNotes() throws {
        let manifest = try Manifest.parse(Array("file,candidate,unit,notes\nwall.mp4,1,U,\"a\u{1b}[31mb\"\n".utf8))
        #expect(manifest.notes(relativePath: "wall.mp4") == "a [31mb")
        let long = "file,candidate,unit,notes\nwall.mp4,1,U," + String(repeating: "x", count: 2001) + "\n"
        #expect(throws: EvidenceError.self) { try Manifest.parse(Array(long.utf8)) }
    }
}
