import Foundation
import Testing
@testable import EvidenceUploaderKit

/// The status file is written by `JSONWriter` (no tree of values) and read back with
/// `JSONDecoder`: it must be what `JSONEncoder` with sorted keys writes, byte for byte.
@Suite("Status JSON writer")
struct JSONWriterTests {
    static func tricky() -> StatusSnapshot {
        let item = StatusSnapshot.Item(id: 7, path: "8711-305/1234/a \"quoted\" \\ back/slash\u{1}\t\n é 😀.mp4", destination: "ocr",
                                       candidate: "1234", unit: "8711-305", state: .uploading, size: 2_500_000_000, done: 1_234_567,
                                       bytesPerSecond: 1_048_576.5, etaSeconds: 12, message: "the portal answered 503\r\n",
                                       since: 1_796_000_000, deadline: 1_796_100_000, estimatedDelivery: nil, risk: "at_risk")
        let plain = StatusSnapshot.Item(id: nil, path: "b.pdf", destination: nil, candidate: nil, unit: nil, state: .queued, size: 0,
                                        done: 0, bytesPerSecond: .infinity /* never written: not finite */, etaSeconds: nil,
                                        message: nil, since: 0, deadline: nil, estimatedDelivery: nil, risk: nil)
        var snapshot = StatusSnapshot(pid: 42, startedAt: 1, updatedAt: 2, paused: "refused \u{7f}", rateLimitBytesPerSecond: 5_000_000,
                                      items: [item, plain], totals: StatusSnapshot.Totals())
        snapshot.totals.uploading = 1
        snapshot.totals.bytesPerSecond = 0.25
        snapshot.requestLimits = [StatusSnapshot.RequestLimit(portal: "https://p.example:8443", maxRequestBytes: 8 << 20, reason: "413")]
        snapshot.destinations = [StatusSnapshot.Destination(name: "ocr", folder: "ocr-evidence", paused: nil)]
        var counters = StatusSnapshot.Counters(destination: "ocr")
        counters.delivered = 3
        counters.retries = ["network": 2, "portal_busy": 1]
        snapshot.counters = [counters]
        snapshot.lastDeliveryAt = 3
        snapshot.problem = "manifest.csv line 2: …"
        return snapshot
    }

    @Test func theStatusFileIsWhatJSONEncoderWrites() throws {
        for snapshot in [Self.tricky(), StatusSnapshot(pid: 1, startedAt: 0, updatedAt: 0, items: [], totals: StatusSnapshot.Totals())] {
            var writer = JSONWriter()
            snapshot.writeJSON(to: &writer)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var expected = snapshot
            expected.items = expected.items.map { item in
                var item = item
                if item.bytesPerSecond?.isFinite == false { item.bytesPerSecond = nil }
                return item
            }
            #expect(writer.text == String(decoding: try encoder.encode(expected), as: UTF8.self))
            #expect(try JSONDecoder().decode(StatusSnapshot.self, from: Data(writer.bytes)) == expected)
        }
    }

    @Test func prettyOutputParses() throws {
        let text = try StatusRendering.json(Self.tricky(), running: true, pretty: true)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["pid"] as? Int == 42)
        #expect((parsed?["items"] as? [Any])?.count == 2)
        #expect(text.contains("\n  \"pid\" : 42"))
    }
}
