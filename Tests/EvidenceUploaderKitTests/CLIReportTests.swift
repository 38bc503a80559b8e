@testable import EvidenceUploaderKit
import Foundation
import Testing
@testable import UploaderJournal

// What the command line prints for people and tools: a stopped daemon's status, status JSON,
// receipt wording, and `journal verify`'s counts.

private func uploadingSnapshot() -> StatusSnapshot {
    let uploading = StatusSnapshot.Item(id: 7, path: "8711-305/4321/wall.mp4", candidate: "4321", unit: "8711-305",
                                        state: .uploading, size: 2_500_000_000, done: 1_000_000_000,
                                        bytesPerSecond: 15_000_000, etaSeconds: 100, message: nil, since: 100)
    let queued = StatusSnapshot.Item(id: 8, path: "8711-305/4321/talk.mp4", candidate: "4321", unit: "8711-305",
                                     state: .queued, size: 1000, done: 0, bytesPerSecond: nil, etaSeconds: nil,
                                     message: nil, since: 100)
    let delivered = StatusSnapshot.Item(id: 6, path: "8711-305/4321/plan.pdf", candidate: "4321", unit: "8711-305",
                                        state: .delivered, size: 5000, done: 5000, bytesPerSecond: nil, etaSeconds: nil,
                                        message: nil, since: 90)
    var totals = StatusSnapshot.Totals()
    totals.uploading = 1
    totals.queued = 1
    totals.delivered = 1
    totals.bytesPerSecond = 15_000_000
    return StatusSnapshot(pid: 42, startedAt: 0, updatedAt: 3600, paused: nil, rateLimitBytesPerSecond: nil,
                          items: [uploading, queued, delivered], totals: totals)
}

@Test func stoppedDaemonShowsItsItemsWaitingWithoutRateOrETA() {
    let text = StatusRendering.text(uploadingSnapshot(), now: 3660, running: false)
    #expect(text.contains("NOT RUNNING"))
    #expect(!text.contains("uploading"))
    #expect(!text.contains("queued"))
    #expect(!text.contains("Mbit/s"))
    #expect(!text.contains("ETA"))
    #expect(text.contains("#7     waiting (daemon stopped) [########............] 40%"))
    #expect(text.contains("#8     waiting (daemon stopped)"))
    #expect(text.contains("delivered"))
    #expect(text.contains("totals: 2 waiting (daemon stopped), 0 arriving, 1 delivered, 0 rejected, 0 failed"))
}

@Test func runningDaemonStillShowsRateAndETA() {
    let text = StatusRendering.text(uploadingSnapshot(), now: 3600, running: true)
    #expect(text.contains("uploading"))
    #expect(text.contains("120.0 Mbit/s"))
    #expect(text.contains("ETA 1 min 40 s"))
    #expect(!text.contains("waiting (daemon stopped)"))
}

private func decode(_ json: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
}

@Test func statusJSONOfAStoppedDaemonSaysItsItemsAreWaiting() throws {
    let json = try StatusRendering.json(uploadingSnapshot(), running: false)
    let object = decode(json)
    #expect(object["running"] as? Bool == false)
    let items = object["items"] as? [[String: Any]] ?? []
    let wall = try #require(items.first { $0["id"] as? Int == 7 })
    #expect(wall["state"] as? String == "waiting (daemon stopped)")
    #expect(wall["stateWhenStopped"] as? String == "uploading")
    #expect(wall["bytesPerSecond"] == nil && wall["etaSeconds"] == nil)
    #expect(wall["done"] as? Int == 1_000_000_000 && wall["size"] as? Int == 2_500_000_000)
    let plan = try #require(items.first { $0["id"] as? Int == 6 })
    #expect(plan["state"] as? String == "delivered" && plan["stateWhenStopped"] == nil)
    let totals = object["totals"] as? [String: Any] ?? [:]
    #expect(totals["waiting"] as? Int == 2)
    #expect(totals["uploading"] as? Int == 0 && totals["queued"] as? Int == 0)
    #expect(totals["bytesPerSecond"] as? Double == 0)
    #expect(totals["delivered"] as? Int == 1)
}

@Test func statusJSONOfARunningDaemonKeepsItsFields() throws {
    let object = decode(try StatusRendering.json(uploadingSnapshot(), running: true))
    #expect(object["running"] as? Bool == true)
    let wall = (object["items"] as? [[String: Any]])?.first { $0["id"] as? Int == 7 }
    #expect(wall?["state"] as? String == "uploading")
    #expect(wall?["bytesPerSecond"] as? Double == 15_000_000)
    #expect((object["totals"] as? [String: Any])?["waiting"] == nil)
}

@Test func statusJSONDoesNotEscapeSlashes() throws {
    let json = try StatusRendering.json(uploadingSnapshot(), running: true)
    #expect(json.contains("\"8711-305/4321/wall.mp4\""))
    #expect(!json.contains("\\/"))
    let line = try StatusRendering.json(uploadingSnapshot(), running: true, pretty: false)
    #expect(!line.contains("\n") && !line.contains("\\/"))
}

@Test("upload time in a receipt", arguments: [
    (0.4, "0.4 seconds"),
    (0.04, "less than 0.1 seconds"),
    (1.0, "1 second"),
    (2.25, "2.3 seconds"),
    (9.94, "9.9 seconds"),
    (9.96, "10 seconds"),
    (42, "42 seconds"),
    (185, "3 min 5 s"),
] as [(Double, String)])
func receiptDuration(_ seconds: Double, _ expected: String) {
    #expect(Notes.durationWords(seconds) == expected)
}

@Test("size said once", arguments: [
    (5, "5 bytes"),
    (1, "1 byte"),
    (20_000_000, "20.0 MB (20000000 bytes)"),
] as [(Int64, String)])
func sizeWords(_ bytes: Int64, _ expected: String) {
    #expect(Notes.sizeWords(bytes) == expected)
}

@Test func journalVerifyCountsOnlyStatesItemsAreIn() throws {
    let dir = makeJournalDirectory()
    defer { removeJournalDirectory(dir) }
    let journal = try Journal.open(stateDirectory: dir)
    let delivered = try journal.append(discovered("8711-305/0042/a.mp4"))
    _ = try journal.append(.delivered(id: delivered))
    _ = try journal.append(.moved(id: delivered, destination: "8711-305/0042/a.mp4"))
    var (text, ok) = JournalTool.verify(stateDirectory: dir)
    #expect(ok)
    #expect(text.contains("items: 1 (moved 1); unfinished 0"))
    #expect(!text.contains("rejected 0"))
    #expect(text.contains("a file rejected when it is first checked is not recorded here"))

    let refused = try journal.append(discovered("8711-305/0042/b.mp4"))
    _ = try journal.append(.rejected(id: refused, code: "too-large-for-portal", destination: "8711-305/0042/b.mp4"))
    (text, ok) = JournalTool.verify(stateDirectory: dir)
    #expect(ok)
    #expect(text.contains("items: 2 (moved 1, rejected 1); unfinished 0"))
    #expect(text.contains("records: 5 (discovered 2, delivered 1, moved 1, rejected 1)"))
}
