@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

/// The page lists a bounded number of files (the rest counted, the summary exact), and is
/// rewritten when the board changes, judged by the board's change count.
@Suite("Status page: row cap and change count")
struct StatusPageCapTests {
    static func items(unit: String, count: Int, state: StatusSnapshot.Item.State = .queued) -> [StatusSnapshot.Item] {
        (0..<count).map { n in
            StatusPageTests.item("\(unit)/1234/file-\(1000 + n).pdf", state)
        }
    }

    @Test("at most rowsPerTable files per unit; the rest in one line; the summary counts all")
    func perTable() {
        let items = Self.items(unit: "U1", count: StatusPage.rowsPerTable + 50)
            + [StatusPageTests.item("U1/1234/zz-late.pdf", .queued, risk: "at_risk")]
            + Self.items(unit: "U2", count: 3)
        let snapshot = StatusPageTests.snapshot(items)
        let html = StatusPage.html(snapshot, StatusPageTests.context)
        #expect(html.components(separatedBy: "<tr>").count - 1 + html.components(separatedBy: "<tr class=").count - 1
                == 2 + StatusPage.rowsPerTable + 3)
        #expect(html.contains("and 51 more files in this unit, not listed here: run <code>evidence-uploader status</code> for the full list"))
        // The file at risk is listed first, though its name sorts last.
        #expect(html.contains("zz-late.pdf"))
        #expect(html.contains("file-1198.pdf") && !html.contains("file-1199.pdf"))
        #expect(html.contains("<strong>\(items.count)</strong> waiting"))
        let text = StatusPage.text(snapshot, StatusPageTests.context)
        #expect(text.contains("- unit U1: and 51 more files in this unit, not listed here: run `evidence-uploader status` for the full list"))
        #expect(text.contains("0 delivered today, 0 sending, \(items.count) waiting, 1 need attention"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("- ") }.count == StatusPage.rowsPerTable + 1 + 3)
    }

    @Test("the page as a whole lists at most rowsPerPage files; later units are only counted")
    func perPage() {
        let items = Self.items(unit: "U1", count: 5) + Self.items(unit: "U2", count: 5) + Self.items(unit: "U3", count: 5)
        let groups = StatusPage.groups(StatusPageTests.snapshot(items), perTable: 4, perPage: 6)
        #expect(groups.map(\.unit) == ["U1", "U2", "U3"])
        #expect(groups.map(\.shown) == [4, 2, 0])
        #expect(groups.map(\.hidden) == [1, 3, 5])
        #expect(StatusPage.moreLine(5, listed: 0).hasPrefix("5 files in this unit, not listed here"))
        #expect(StatusPage.moreLine(1, listed: 4).hasPrefix("and 1 more file in this unit"))
    }

    @Test("a small page lists every file, as before", arguments: [0, 1, 7])
    func small(_ count: Int) {
        let html = StatusPage.html(StatusPageTests.snapshot(Self.items(unit: "U1", count: count)), StatusPageTests.context)
        #expect(!html.contains("not listed here"))
        #expect(html.components(separatedBy: "file-").count - 1 == count)
    }

    @Test("numbers are grouped in thousands", arguments: [(0, "0"), (999, "999"), (9_800, "9,800"), (1_234_567, "1,234,567")])
    func grouped(_ number: Int, _ expected: String) {
        #expect(StatusPage.grouped(number) == expected)
    }

    @Test("the board's change count moves with every change and only then")
    func version() {
        let board = StatusBoard(stateDirectory: "/nonexistent")
        let start = board.version
        #expect(board.version == start)
        board.set("U1/a.pdf", state: .queued, size: 10)
        let queued = board.version
        #expect(queued != start)
        board.setProblem(nil)
        #expect(board.version == queued, "no change, no new count")
        board.setForecast("U1/a.pdf", deadline: 5, estimatedDelivery: nil, risk: nil)
        #expect(board.version != queued)
        let forecast = board.version
        board.setForecast("U1/a.pdf", deadline: 5, estimatedDelivery: nil, risk: nil)
        #expect(board.version == forecast)
        board.progress("U1/a.pdf", done: 5)
        #expect(board.version != forecast)
    }

    @Test("status.json written from the board is the text of the snapshot's")
    func fileJSON() {
        let board = StatusBoard(stateDirectory: "/nonexistent")
        board.set("U1/b.pdf", state: .queued, size: 10, labels: EvidenceLabels(centre: "12345", candidate: "1234", unit: "U1"), id: 2)
        board.set("U1/a.pdf", state: .queued, size: 20, id: 1)
        board.set("U1/c.pdf", state: .delivered, size: 30, id: 3)
        board.progress("U1/a.pdf", done: 5)
        // The snapshot's updatedAt is the clock's second; try again on the rare tick between the two.
        for _ in 0..<3 {
            let direct = board.fileJSON()
            let viaSnapshot = StatusBoard.fileJSON(board.snapshot())
            if direct == viaSnapshot { return }
        }
        Issue.record("status.json from the board differs from the snapshot's")
    }
}
