import Testing
@testable import EvidenceUploaderKit

private func item(_ path: String, _ state: StatusSnapshot.Item.State, destination: String?, since: Int64 = 100) -> StatusSnapshot.Item {
    var item = StatusSnapshot.Item(id: 1, path: path, state: state, size: 10, done: 0, since: since)
    item.destination = destination
    return item
}

private func sample(_ text: String, _ line: String) -> Bool {
    text.split(separator: "\n").contains { $0 == line }
}

@Test func metricsTextHasHelpAndTypeOnceAndSamplesByDestination() {
    var counters = StatusSnapshot.Counters(destination: "ocr")
    counters.delivered = 3
    counters.rejected = 1
    counters.deliveredBytes = 3_000_000
    counters.sentBytes = 3_100_000
    counters.retries = ["network": 2]
    let snapshot = StatusSnapshot(
        pid: 1, startedAt: 1_000, updatedAt: 2_000, paused: nil, rateLimitBytesPerSecond: nil,
        items: [item("ocr/a", .queued, destination: "ocr", since: 1_900), item("ocr/b", .uploading, destination: "ocr"),
                item("cmi/c", .paused, destination: "cmi", since: 1_950)],
        totals: .init(),
        destinations: [.init(name: "cmi", folder: "cmi", paused: "refused"), .init(name: "ocr", folder: "ocr", paused: nil)],
        counters: [counters], lastDeliveryAt: 1_990)
    let text = MetricsTextfile.render(snapshot, journalBytes: 4096, now: 2_000, version: "9.9.9")

    #expect(sample(text, #"evidence_uploader_info{version="9.9.9"} 1"#))
    #expect(sample(text, #"evidence_uploader_items{destination="ocr",state="queued"} 1"#))
    #expect(sample(text, #"evidence_uploader_items{destination="ocr",state="uploading"} 1"#))
    #expect(sample(text, #"evidence_uploader_items{destination="cmi",state="paused"} 1"#))
    #expect(sample(text, #"evidence_uploader_items{destination="cmi",state="queued"} 0"#))
    #expect(sample(text, #"evidence_uploader_uploads_in_flight{destination="ocr"} 1"#))
    #expect(sample(text, #"evidence_uploader_files_delivered_total{destination="ocr"} 3"#))
    #expect(sample(text, #"evidence_uploader_files_delivered_total{destination="cmi"} 0"#))
    #expect(sample(text, #"evidence_uploader_files_rejected_total{destination="ocr"} 1"#))
    #expect(sample(text, #"evidence_uploader_delivered_bytes_total{destination="ocr"} 3000000"#))
    #expect(sample(text, #"evidence_uploader_sent_bytes_total{destination="ocr"} 3100000"#))
    #expect(sample(text, #"evidence_uploader_retries_total{destination="ocr",cause="network"} 2"#))
    #expect(sample(text, #"evidence_uploader_retries_total{destination="ocr",cause="timeout"} 0"#))
    #expect(sample(text, "evidence_uploader_oldest_queued_item_age_seconds 100"))
    #expect(sample(text, #"evidence_uploader_destination_paused{destination="cmi"} 1"#))
    #expect(sample(text, #"evidence_uploader_destination_paused{destination="ocr"} 0"#))
    #expect(sample(text, "evidence_uploader_journal_size_bytes 4096"))
    #expect(sample(text, "evidence_uploader_last_delivery_timestamp_seconds 1990"))
    #expect(sample(text, "evidence_uploader_start_time_seconds 1000"))

    // Every family: one HELP, one TYPE, before its samples; counters end in _total.
    let lines = text.split(separator: "\n").map(String.init)
    var declared: [String: String] = [:]
    for line in lines {
        let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
        if line.hasPrefix("# TYPE ") {
            #expect(declared[parts[2]] == nil, "TYPE twice for \(parts[2])")
            declared[parts[2]] = parts[3]
            if parts[3] == "counter" { #expect(parts[2].hasSuffix("_total")) }
        } else if !line.hasPrefix("# HELP ") {
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(declared[name] != nil, "sample before its TYPE: \(line)")
            #expect(Int64(parts.last!) != nil, "not an integer: \(line)")
        }
    }
    #expect(text.hasSuffix("\n"))
}

@Test func metricsTextWithoutDestinationsUsesTheEmptyLabelAndTheGlobalPause() {
    let snapshot = StatusSnapshot(pid: 1, startedAt: 0, updatedAt: 0, paused: "the portal refused the centre's credentials",
                                  rateLimitBytesPerSecond: nil, items: [], totals: .init())
    let text = MetricsTextfile.render(snapshot, journalBytes: nil, now: 10)
    #expect(sample(text, #"evidence_uploader_destination_paused{destination=""} 1"#))
    #expect(sample(text, #"evidence_uploader_files_delivered_total{destination=""} 0"#))
    #expect(sample(text, "evidence_uploader_oldest_queued_item_age_seconds 0"))
    #expect(!text.contains("evidence_uploader_journal_size_bytes"))
    #expect(!text.contains("evidence_uploader_last_delivery_timestamp_seconds"))
}

@Test func labelValuesAndHelpAreEscaped() {
    #expect(MetricsTextfile.escape(#"a"b\c"# + "\nd", quote: true) == #"a\"b\\c\nd"#)
    #expect(MetricsTextfile.escape(#"a"b\c"#, quote: false) == #"a"b\\c"#)
}

@Test func boardCountsBytesSentDeliveriesAndRetriesButNotWhereAnUploadResumed() {
    let board = StatusBoard(stateDirectory: "/nonexistent")
    board.set("fresh.mp4", state: .uploading, size: 1_000, id: 1)
    board.progress("fresh.mp4", done: 0)        // the baseline
    board.progress("fresh.mp4", done: 600)
    board.progress("fresh.mp4", done: 400)      // a failed chunk: the portal holds less
    board.progress("fresh.mp4", done: 1_000)    // sent again: counts again
    board.set("fresh.mp4", state: .retrying, size: 1_000, message: "retrying in 1 s: the portal answered 502",
              retryCause: .portalError)
    board.set("fresh.mp4", state: .delivered, size: 1_000, id: 1)

    board.set("resumed.mp4", state: .uploading, size: 5_000, id: 2)
    board.progress("resumed.mp4", done: 4_000)  // the portal's offset after a restart: not sent now
    board.progress("resumed.mp4", done: 5_000)
    board.set("resumed.mp4", state: .delivered, size: 5_000, id: 2)
    board.set("empty.txt", state: .rejected, size: 0)

    let snapshot = board.snapshot()
    let counters = snapshot.counters?.first { $0.destination == "" } ?? StatusSnapshot.Counters(destination: "none")
    let sent: Int64 = (600 + 600) + 1_000  // fresh: twice 600 (the resend counts again); resumed: the last 1,000 only
    #expect(counters.sentBytes == sent)
    #expect(counters.deliveredBytes == 6_000)
    #expect(counters.delivered == 2)
    #expect(counters.rejected == 1)
    #expect(counters.retries == ["portal_error": 1])
    #expect(snapshot.lastDeliveryAt != nil)
}
