@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("progress bar", arguments: [
    (0, 100, "[....................] 0%  "),
    (41, 100, "[########............] 41% "),
    (100, 100, "[####################] 100%"),
    (5, 0, "[....................] 0%  "),
] as [(Int64, Int64, String)])
func progressBar(_ done: Int64, _ size: Int64, _ expected: String) {
    #expect(StatusRendering.bar(done: done, size: size) == expected)
}

@Test func statusTextShowsLabelsProgressRateEtaAndTotals() {
    let item = StatusSnapshot.Item(id: 7, path: "8711-305/1234/wall.mp4", candidate: "1234", unit: "8711-305",
                                   state: .uploading, size: 2_500_000_000, done: 1_000_000_000,
                                   bytesPerSecond: 2_475_000, etaSeconds: 606, message: nil, since: 100)
    var totals = StatusSnapshot.Totals()
    totals.uploading = 1
    totals.delivered = 3
    totals.bytesPerSecond = 2_475_000
    let snapshot = StatusSnapshot(pid: 42, startedAt: 0, updatedAt: 3600, paused: nil, rateLimitBytesPerSecond: 2_500_000,
                                  items: [item], totals: totals)
    let text = StatusRendering.text(snapshot, now: 3600, running: true)
    #expect(text.contains("running (pid 42, up 1 h 0 min)"))
    #expect(text.contains("#7"))
    #expect(text.contains("uploading"))
    #expect(text.contains("[########............] 40%"))
    #expect(text.contains("1.00 GB/2.50 GB"))
    #expect(text.contains("19.8 Mbit/s"))
    #expect(text.contains("ETA 10 min 6 s"))
    #expect(text.contains("candidate 1234, unit 8711-305"))
    #expect(text.contains("rate limit: 20.0 Mbit/s"))
    #expect(text.contains("totals: 1 uploading, 0 queued, 0 arriving, 3 delivered, 0 rejected, 0 failed"))
}

@Test func statusTextSaysWhenTheDaemonIsNotRunningAndWhenPaused() {
    let snapshot = StatusSnapshot(pid: 42, startedAt: 0, updatedAt: 100, paused: "the portal refused the centre's credentials",
                                  rateLimitBytesPerSecond: nil, items: [], totals: .init())
    let text = StatusRendering.text(snapshot, now: 160, running: false)
    #expect(text.contains("NOT RUNNING"))
    #expect(text.contains("1 min 0 s ago"))
    #expect(text.contains("PAUSED: the portal refused"))
    #expect(text.contains("nothing in the queue"))
}

@Test func boardCountsFinishedItemsAndKeepsActiveOnes() {
    let board = StatusBoard(stateDirectory: "/nonexistent")
    let labels = EvidenceLabels(centre: "1", candidate: "2", unit: "3")
    board.set("a", state: .queued, size: 10, labels: labels, id: 1)
    board.set("b", state: .arriving, size: 5)
    board.progress("a", done: 4)
    var snapshot = board.snapshot()
    #expect(snapshot.items.first { $0.path == "a" }?.state == .uploading)
    #expect(snapshot.items.first { $0.path == "a" }?.done == 4)
    #expect(snapshot.totals.uploading == 1 && snapshot.totals.arriving == 1)
    board.set("a", state: .delivered, size: 10)
    board.set("b", state: .rejected, size: 5)
    snapshot = board.snapshot()
    #expect(snapshot.totals.delivered == 1 && snapshot.totals.rejected == 1 && snapshot.totals.uploading == 0)
    #expect(snapshot.items.map(\.state) == [.rejected, .delivered])
}
