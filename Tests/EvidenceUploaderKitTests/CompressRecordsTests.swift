@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCore
@testable import UploaderJournal

/// Compression's journal records, config keys and receipt.
struct CompressRecordsTests {
    static let copy = CompressedCopy(workFile: "compress/7/output.mp4", size: 7_654_321, sha256: String(repeating: "ab", count: 32),
                                     rung: "720p", width: 1280, height: 720, durationMillis: 15_023,
                                     originalWidth: 1920, originalHeight: 1080, originalDurationMillis: 15_000)

    @Test func recordsRoundTripAndFold() throws {
        let records: [JournalRecord] = [
            .discovered(id: 7, relativePath: "8711-305/1234/wall.mp4", device: 1, inode: 2, size: 37_000_000, mtimeNanos: 3,
                        labels: EvidenceLabels(centre: "12345", candidate: "1234", unit: "8711-305"), fileType: "video/mp4", endpoint: "e"),
            .compressionStarted(id: 7, rung: "1080p"),
            .compressed(id: 7, copy: Self.copy),
        ]
        for record in records {
            #expect(try RecordCodec.decode(RecordCodec.encode(record)) == record)
        }
        #expect(RecordCodec.encode(records[1])[0] == 9 && RecordCodec.encode(records[2])[0] == 10)
        var state = JournalState(records: records)
        #expect(state.items[7]?.compressedCopy == Self.copy)
        #expect(state.items[7]?.uploadLength == 7_654_321)
        // A new attempt (after a kill, or a rung down) forgets the earlier copy.
        state.apply(.compressionStarted(id: 7, rung: "480p"))
        #expect(state.items[7]?.compressedCopy == nil)
        #expect(state.items[7]?.uploadLength == 37_000_000)
    }

    @Test func compactionKeepsTheCopy() {
        let state = JournalState(records: [
            .discovered(id: 7, relativePath: "a.mp4", device: 1, inode: 2, size: 9, mtimeNanos: 3,
                        labels: EvidenceLabels(centre: "1", candidate: "2", unit: "3"), fileType: "video/mp4", endpoint: "e"),
            .hashed(id: 7, sha256: String(repeating: "0", count: 64)),
            .compressed(id: 7, copy: Self.copy),
            .created(id: 7, uploadURL: "http://127.0.0.1/files/x"),
        ])
        let again = JournalState(records: JournalCompaction.records(for: state))
        #expect(again.items[7] == state.items[7])
    }

    @Test func truncatedRecordsAreErrorsNotTraps() {
        let bytes = RecordCodec.encode(.compressed(id: 7, copy: Self.copy))
        for length in 0..<bytes.count {
            #expect(throws: PayloadError.self) { try RecordCodec.decode(Array(bytes.prefix(length))) }
        }
        #expect(RecordCodec.encode(.compressionStarted(id: 1, rung: "720p")) != [])
        #expect(JournalRecord.compressed(id: 7, copy: Self.copy).dumpLine.contains("rung=\"720p\" picture=1280x720"))
    }

    @Test func configKeys() throws {
        let base = "[centre]\nnumber = \"12345\"\n[portal]\nurl = \"https://portal.example.org/files/\"\n"
        let defaults = try Config.parse(base, source: "test.toml", baseDirectory: "/etc/evidence-uploader")
        #expect(defaults.policy.oversizeVideo == .reject)
        #expect(defaults.compress == Config.Compress())
        let text = base + "[policy]\noversize_video = \"compress\"\n[compress]\nthreads = 3\ncpu_time = \"30m\"\nwall_time = \"1h\"\nffmpeg = \"bin/ffmpeg\"\n"
            + "[destination.a]\nfolder = \"a\"\noversize_video = \"reject\"\n[destination.b]\nfolder = \"b\"\n"
        let config = try Config.parse(text, source: "test.toml", baseDirectory: "/etc/evidence-uploader")
        #expect(config.policy.oversizeVideo == .compress)
        #expect(config.destination(named: "a")?.policy.oversizeVideo == .reject)
        #expect(config.destination(named: "b")?.policy.oversizeVideo == .compress)
        #expect(config.compress.threads == 3 && config.compress.cpuTime == .seconds(1800) && config.compress.wallTime == .seconds(3600))
        #expect(config.compress.ffmpeg == "/etc/evidence-uploader/bin/ffmpeg")
        #expect(config.rendered().contains("oversize_video = \"compress\""))
        #expect(try Config.parse(config.rendered(), source: "r.toml", baseDirectory: "/") == config)
        #expect(throws: (any Error).self) { try Config.parse(base + "[policy]\noversize_video = \"shrink\"\n", source: "t", baseDirectory: "/") }
        #expect(throws: (any Error).self) { try Config.parse(base + "[compress]\nthreads = 0\n", source: "t", baseDirectory: "/") }
    }

    @Test func receiptSaysBothAndWhichThePortalHolds() {
        let text = Notes.receipt(.init(
            fileName: "wall.mp4", folder: "8711-305/1234", labels: EvidenceLabels(centre: "12345", candidate: "1234", unit: "8711-305"),
            size: 37_000_000, fileType: "video/mp4", route: .standard, sha256: String(repeating: "cd", count: 32),
            uploadURL: "http://127.0.0.1/files/x", finishedAt: 0, seconds: 3,
            compression: .init(limit: 8_000_000, copyName: "wall.mp4.compressed.mp4", copy: Self.copy)))
        #expect(text.contains("COMPRESSED TO FIT"))
        #expect(text.contains("37.0 MB (37000000 bytes), 1920x1080, 15 seconds"))
        #expect(text.contains("7.65 MB (7654321 bytes), 1280x720, 15 seconds") || text.contains("(7654321 bytes), 1280x720"))
        #expect(text.contains("The portal holds: the compressed copy, SHA-256 \(Self.copy.sha256)"))
        #expect(text.contains("Sent copy:    wall.mp4.compressed.mp4"))
    }

    @Test func sentNameIsAnMP4() {
        #expect(Delivery.sentName("wall.mov") == "wall.mp4")
        #expect(Delivery.sentName("wall.mp4") == "wall.mp4")
        #expect(Delivery.sentName(".hidden") == ".hidden.mp4")
        #expect(CompressionStage.copyPath(forOriginalAt: "8711-305/1234/wall (2).mp4") == "8711-305/1234/wall (2).mp4.compressed.mp4")
    }
}
