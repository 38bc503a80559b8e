@testable import UploaderCore
@testable import UploaderJournal
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import EvidenceUploaderKit

// MARK: - Helpers shared by the Journal*Tests files

/// A fresh empty directory under /tmp, removed by `removeJournalDirectory`.
func makeJournalDirectory() -> String {
    var template = Array("/tmp/evu-journal-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes a test directory and the files in it (it holds no subdirectories).
func removeJournalDirectory(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
    }
    rmdir(path)
}

func readJournalBytes(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "open \(path)")
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
    }
    return bytes
}

func writeJournalBytes(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "open \(path)")
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
        precondition(n > 0)
        written += n
    }
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// A small seeded generator (SplitMix64) so failures are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let sampleLabels = EvidenceLabels(centre: "12345", candidate: "0042", unit: "8711-305")

func discovered(_ path: String, size: Int64 = 1_000_000, labels: EvidenceLabels = sampleLabels) -> JournalRecord {
    .discovered(id: 0, relativePath: path, device: 2049, inode: 77_000 + UInt64(path.utf8.count), size: size,
                mtimeNanos: 1_700_000_000_123_456_789, labels: labels, fileType: "video/mp4",
                endpoint: "https://portal.example/files/")
}

let sha = String(repeating: "ab", count: 32)

/// One record of every type, as the journal would hold them for two items.
func everyRecordType() -> [JournalRecord] {
    [
        .discovered(id: 1, relativePath: "8711-305/0042/clip\n\u{1}é.mp4", device: .max, inode: 1, size: .max,
                    mtimeNanos: .min, labels: EvidenceLabels(centre: "", candidate: "ü", unit: "\"u\""),
                    fileType: "video/mp4", endpoint: "https://portal.example/files/"),
        .hashed(id: 1, sha256: sha),
        .created(id: 1, uploadURL: "https://portal.example/files/abc123"),
        .offset(id: 1, offset: 5_242_880),
        .offset(id: 1, offset: -1),
        .delivered(id: 1),
        .moved(id: 1, destination: "uploaded/8711-305/0042/clip.mp4"),
        .discovered(id: 2, relativePath: "b.avi", device: 0, inode: 0, size: 0, mtimeNanos: 0,
                    labels: sampleLabels, fileType: "", endpoint: ""),
        .rejected(id: 2, code: "too-large", destination: "rejected/b.avi"),
        .discovered(id: 3, relativePath: "c.mkv", device: 1, inode: 2, size: 3, mtimeNanos: 4,
                    labels: sampleLabels, fileType: "video/x-matroska", endpoint: "e"),
        .abandoned(id: 3, reason: "the file changed while it was being uploaded"),
    ]
}

// MARK: - Round trips

@Test("every record type encodes and decodes to itself")
func journalCodecRoundTrip() throws {
    for record in everyRecordType() {
        let payload = RecordCodec.encode(record)
        #expect(try RecordCodec.decode(payload) == record)
        let frame = JournalFrame.encode(record)
        let attempt = frame.withUnsafeBytes { JournalFrame.attempt($0, at: 0) }
        guard case let .valid(decoded, end) = attempt else {
            Issue.record("frame for \(record.typeName) did not read back")
            continue
        }
        #expect(decoded == record)
        #expect(end == frame.count)
    }
}

@Test("the file starts with the magic and version, then length, CRC, payload")
func journalFileLayout() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    try journal.append(.discovered(id: 0, relativePath: "a", device: 1, inode: 2, size: 3, mtimeNanos: 4,
                                   labels: EvidenceLabels(centre: "c", candidate: "d", unit: "u"), fileType: "t", endpoint: "e"))
    let bytes = readJournalBytes(dir + "/journal")
    #expect(Array(bytes[0..<12]) == Array("EVUJRNL".utf8) + [0, 1, 0, 0, 0])
    let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    #expect(bytes.count == 12 + 8 + length)
    #expect(bytes[20] == 1)                                   // type: discovered
    #expect(Array(bytes[21..<29]) == [1, 0, 0, 0, 0, 0, 0, 0]) // id 1, little-endian
    #expect(Array(bytes[29..<34]) == [1, 0, 0, 0, UInt8(ascii: "a")]) // string: u32 length + UTF-8
}

@Test("append, close, reopen: every record type replays into the same items")
func journalAppendReplayRoundTrip() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    var expected = JournalState()
    do {
        let journal = try Journal.open(stateDirectory: dir)
        #expect(journal.replayReport.recordsRead == 0)
        for record in everyRecordType() {
            let id = try journal.append(record)
            #expect(id == record.id)
            expected.apply(record)
        }
        #expect(journal.items() == expected.sortedItems)
    }
    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.replayReport.recordsRead == everyRecordType().count)
    #expect(reopened.replayReport.truncatedAt == nil)
    #expect(reopened.replayReport.corruptionAt == nil)
    let items = reopened.items()
    #expect(items == expected.sortedItems)
    #expect(items.map(\.state) == [.moved, .rejected, .abandoned])
    #expect(items[0].sha256 == sha)
    #expect(items[0].uploadURL == "https://portal.example/files/abc123")
    #expect(items[0].confirmedOffset == .max)
    #expect(items[0].destination == "uploaded/8711-305/0042/clip.mp4")
    #expect(items[1].reason == "too-large")
    #expect(reopened.unfinished().isEmpty)
    #expect(reopened.finishedItem(sha256: sha, labels: EvidenceLabels(centre: "", candidate: "ü", unit: "\"u\""))?.id == 1)
    #expect(reopened.finishedItem(sha256: sha, labels: sampleLabels) == nil)
    // Ids keep increasing after a reopen.
    #expect(try reopened.append(discovered("next.mp4")) == 4)
}

@Test("item states follow the records; the latest unfinished item is found by path")
func journalItemStates() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let a = try journal.append(discovered("u/c/a.mp4"))
    #expect(journal.item(forRelativePath: "u/c/a.mp4")?.state == .discovered)
    try journal.append(.hashed(id: a, sha256: sha))
    #expect(journal.item(forRelativePath: "u/c/a.mp4")?.state == .hashed)
    try journal.append(.created(id: a, uploadURL: "https://x/1"))
    try journal.append(.offset(id: a, offset: 100))
    #expect(journal.item(forRelativePath: "u/c/a.mp4")?.confirmedOffset == 100)
    // The file changed: the old item is abandoned and a new one starts.
    try journal.append(.abandoned(id: a, reason: "changed"))
    let b = try journal.append(discovered("u/c/a.mp4", size: 5))
    #expect(b == a + 1)
    #expect(journal.item(forRelativePath: "u/c/a.mp4")?.id == b)
    try journal.append(.created(id: b, uploadURL: "https://x/2"))
    try journal.append(.offset(id: b, offset: 3))
    try journal.append(.created(id: b, uploadURL: "https://x/3")) // expired upload replaced
    #expect(journal.item(forRelativePath: "u/c/a.mp4")?.confirmedOffset == 0)
    try journal.append(.delivered(id: b))
    #expect(journal.unfinished().map(\.state) == [.delivered])
    #expect(journal.unfinished().first?.confirmedOffset == 5)
    // Records for an unknown or finished item are refused.
    #expect(throws: EvidenceError.self) { try journal.append(.hashed(id: 99, sha256: sha)) }
    #expect(throws: EvidenceError.self) { try journal.append(.offset(id: a, offset: 1)) }
}

@Test("several threads appending get distinct ids and every record lands")
func journalConcurrentAppends() async throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let ids = try await withThrowingTaskGroup(of: [UInt64].self) { group in
        for worker in 0..<4 {
            group.addTask {
                var ids: [UInt64] = []
                for n in 0..<25 {
                    let id = try journal.append(discovered("w\(worker)/\(n).mp4"))
                    try journal.append(.hashed(id: id, sha256: sha))
                    ids.append(id)
                }
                return ids
            }
        }
        var all: [UInt64] = []
        for try await ids in group { all += ids }
        return all
    }
    #expect(Set(ids).count == 100)
    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.replayReport.recordsRead == 200)
    #expect(reopened.items().allSatisfy { $0.state == .hashed })
}

@Test("a full state folder: the append fails clearly and the file is cut back to its last whole record")
func journalFullDisk() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let id = try journal.append(discovered("a.mp4"))
    let before = readJournalBytes(dir + "/journal")
    journal.injectFault(JournalFault(kind: .write, errno: ENOSPC, bytesBeforeFailure: 7))
    do {
        try journal.append(.hashed(id: id, sha256: sha))
        Issue.record("the append should have failed")
    } catch {
        #expect(error.message.contains("is full"))
    }
    #expect(readJournalBytes(dir + "/journal") == before)
    #expect(journal.items().first?.state == .discovered)
    // Space is back: work goes on.
    try journal.append(.hashed(id: id, sha256: sha))
    let reopened = try Journal.open(stateDirectory: dir)
    #expect(reopened.replayReport.truncatedAt == nil)
    #expect(reopened.items().first?.sha256 == sha)
}

@Test("a failed fdatasync is never retried: the journal refuses everything after it")
func journalSyncFailurePoisons() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let id = try journal.append(discovered("a.mp4"))
    journal.injectFault(JournalFault(kind: .sync, errno: EIO))
    do {
        // `created` is synced before append returns (`hashed` waits for the next sync).
        try journal.append(.created(id: id, uploadURL: "http://127.0.0.1/files/a"))
        Issue.record("the append should have failed")
    } catch {
        #expect(error.code == .journal)
        #expect(error.message.contains("can no longer be trusted"))
        #expect(error.message.contains("must stop"))
    }
    #expect(throws: EvidenceError.self) { try journal.append(.hashed(id: id, sha256: sha)) }
    #expect(throws: EvidenceError.self) { try journal.compact() }
}

@Test("a file that is not a journal is refused and left untouched")
func journalWrongMagic() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let junk = Array("this is not a journal at all".utf8)
    writeJournalBytes(junk, to: dir + "/journal")
    #expect(throws: EvidenceError.self) { try Journal.open(stateDirectory: dir) }
    #expect(readJournalBytes(dir + "/journal") == junk)
}

@Test("a journal cut while its header was written starts afresh")
func journalTornHeader() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    for cut in 0..<12 {
        writeJournalBytes(Array(JournalFrame.header.prefix(cut)), to: dir + "/journal")
        let journal = try Journal.open(stateDirectory: dir)
        #expect(journal.items().isEmpty)
        #expect(try journal.append(discovered("a")) == 1)
    }
}

@Test("open creates a missing state folder and removes temporaries of a killed compaction")
func journalCreatesFolder() throws {
    let parent = makeJournalDirectory()
    defer { removeJournalDirectory(parent + "/state"); removeJournalDirectory(parent) }
    let state = parent + "/state"
    _ = try Journal.open(stateDirectory: state)
    #expect(fileExists(state + "/journal"))
    writeJournalBytes([1, 2, 3], to: state + "/.evu-12345-0.tmp")
    _ = try Journal.open(stateDirectory: state)
    #expect(!fileExists(state + "/.evu-12345-0.tmp"))
}
