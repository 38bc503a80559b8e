import Synchronization
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// `[folders] status_page`: the page (and its text twin) in the drop folder, rewritten atomically
/// at most every few seconds while something changes, and once more when the daemon stops.
extension Daemon {
    func writeStatusPage(running: Bool = true) {
        guard mode == .daemon, !config.folders.statusPage.isEmpty else { return }
        // Whether anything changed: the board's change count, not a copy of the board (2 MB
        // with 10,000 items) compared every second.
        let version = session.board.version
        if running, let last = lastPageWrite {
            // Unchanged: rewritten once a minute (its "updated" time); changed: at most every 3 s.
            let elapsed = now - last
            let changed = version != session.board.pageVersion.load(ordering: .relaxed)
            guard elapsed >= .seconds(3), changed || elapsed >= .seconds(60) else { return }
        }
        lastPageWrite = now
        session.board.pageVersion.store(version, ordering: .relaxed)
        let snapshot = session.board.snapshot()
        let now = WallClock.now()
        let context = StatusPage.Context(now: now, startOfToday: Self.startOfDay(now),
                                         rejectedLink: Self.relativeLink(from: config.folders.drop, to: config.folders.rejected),
                                         running: running)
        let paths = config.statusPagePaths
        do {
            try AtomicFile.write(StatusPage.htmlBytes(snapshot, context), to: config.folders.drop + "/" + paths[0], mode: 0o664, durability: .volatile)
            try AtomicFile.write(StatusPage.textBytes(snapshot, context), to: config.folders.drop + "/" + paths[1], mode: 0o664, durability: .volatile)
            if pageWriteFailed {
                pageWriteFailed = false
                logger.notice("the status page is written again", metadata: ["page": "\(paths[0])"])
            }
        } catch {
            if !pageWriteFailed {
                pageWriteFailed = true
                logger.warning("cannot write the status page in the drop folder", metadata: ["page": "\(paths[0])", "error": "\(error)"])
            }
        }
    }

    /// Local midnight of the day `seconds` falls in.
    static func startOfDay(_ seconds: Int64) -> Int64 {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }

    /// "../rejected/" from /srv/evidence/drop to /srv/evidence/rejected: how the page links a
    /// reason note; nil when the folders share nothing but the root.
    static func relativeLink(from: String, to: String) -> String? {
        let a = from.split(separator: "/"), b = to.split(separator: "/")
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        guard common > 0 else { return nil }
        let up = Array(repeating: "..", count: a.count - common)
        return (up + b[common...].map(String.init)).map { StatusPage.percentEncoded($0) }.joined(separator: "/") + "/"
    }
}
