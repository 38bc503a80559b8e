import Testing
@testable import EvidenceUploaderKit

@Suite("Status page")
struct StatusPageTests {
    static func item(_ path: String, _ state: StatusSnapshot.Item.State, done: Int64 = 0, size: Int64 = 1_000_000,
                     message: String? = nil, risk: String? = nil, deadline: Int64? = nil) -> StatusSnapshot.Item {
        var item = StatusSnapshot.Item(id: 1, path: path, candidate: "1234", unit: path.split(separator: "/").first.map(String.init),
                                       state: state, size: size, done: done, since: 2_000_000_000)
        item.message = message
        item.risk = risk
        item.deadline = deadline
        return item
    }

    static func snapshot(_ items: [StatusSnapshot.Item], paused: String? = nil) -> StatusSnapshot {
        StatusSnapshot(pid: 1, startedAt: 0, updatedAt: 0, paused: paused, rateLimitBytesPerSecond: nil, items: items,
                       totals: .init())
    }

    static let context = StatusPage.Context(now: 2_000_000_100, startOfToday: 1_999_990_000, rejectedLink: "../rejected/", running: true)

    @Test("a hostile file name is shown as text, never as markup")
    func escaping() {
        let html = StatusPage.html(Self.snapshot([Self.item("U1/<script>alert(1)<\\script>&\".mp4", .uploading, done: 500_000)]), Self.context)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;\\script&gt;&amp;&quot;.mp4"))
    }

    @Test("summary, progress, risk and a link to the reason note of a rejected file")
    func content() {
        let items = [
            Self.item("U1/1234/wall.mp4", .uploading, done: 250_000),
            Self.item("U1/1234/old.mp4", .delivered),
            Self.item("U1/1234/late.mp4", .queued, risk: "at_risk", deadline: 2_000_000_050),
            Self.item("U2/1234/big file.mp4", .rejected, message: "This video is 3 GB, over the 2.5 GB limit."),
        ]
        let html = StatusPage.html(Self.snapshot(items), Self.context)
        #expect(html.contains("<strong>1</strong> delivered today &middot; <strong>1</strong> sending &middot; <strong>1</strong> waiting &middot; <strong>2</strong> need attention"))
        #expect(html.contains("width:25%"))
        #expect(html.contains("AT RISK"))
        #expect(html.contains("href=\"../rejected/U2/1234/big%20file.mp4.reason.txt\""))
        #expect(html.contains("<meta http-equiv=\"refresh\""))
        let text = StatusPage.text(Self.snapshot(items), Self.context)
        #expect(text.contains("1 delivered today, 1 sending, 1 waiting, 2 need attention"))
        #expect(text.contains("why: This video is 3 GB"))
    }

    @Test("a stopped uploader says so; nothing reads as sending")
    func stopped() {
        var context = Self.context
        context.running = false
        let html = StatusPage.html(Self.snapshot([Self.item("U1/1234/wall.mp4", .uploading, done: 250_000)]), context)
        #expect(html.contains("The uploader is not running") && html.contains("waiting: the uploader is stopped"))
    }

    @Test("the link from the drop folder to the rejected folder", arguments: [
        ("/srv/evidence/drop", "/srv/evidence/rejected", "../rejected/"),
        ("/srv/drop", "/srv/evidence/rejected", "../evidence/rejected/"),
        ("/a/b/c", "/a/x y", "../../x%20y/"),
    ])
    func link(_ from: String, _ to: String, _ expected: String) {
        #expect(Daemon.relativeLink(from: from, to: to) == expected)
    }
}
