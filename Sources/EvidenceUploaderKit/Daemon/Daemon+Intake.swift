import Logging
import UploaderConfig
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's intake: scanning and watching the drop folder, settling, admitting.
extension Daemon {
    // MARK: - Finding files

    func scan(reason: String) {
        routine.did(.scan, now: now)
        guard let drop = currentDropFolder() else { return }
        var result = drop.scan(ignoring: config.intakeIgnoredPaths)
        // Folders that arrived since the last scan get their watches now; anything written into
        // them between the walk and the watch is caught by walking once more.
        var rounds = 0
        while let watcher, watcher.watch(folders: result.folders) > 0, rounds < 3 {
            result = drop.scan(ignoring: config.intakeIgnoredPaths)
            rounds += 1
        }
        for problem in result.problems {
            logger.warning("drop folder problem", metadata: ["detail": "\(problem)"])
        }
        for entry in result.unreadableNames {
            _ = pipeline?.rejectUnreadableName(entry)
        }
        // Files being settled that are gone now are forgotten (nothing to compare on the first scan).
        if !settler.observations.isEmpty {
            let present = Set(result.files.map(\.path))
            for path in settler.observations.keys where !present.contains(path) {
                settler.forget(path)
                session.board.forget(path)
            }
        }
        let known = knownPaths()
        let waiting = settleWaitingMessage()
        for entry in result.files where !known.contains(entry.path) {
            observe(entry, waiting: waiting)
        }
        checkManifest()
        logger.debug("scanned", metadata: ["reason": "\(reason)", "files": "\(result.files.count)"])
    }

    /// What inotify said since the last tick; true when it took a walk of the whole folder.
    @discardableResult
    func handleHints(now: Duration) -> Bool {
        guard let watcher else { return false }
        let hints = watcher.drain()
        guard !hints.isEmpty else { return false }
        var rescan: String? = nil
        var files = Set<String>()
        for hint in hints {
            switch hint {
            case let .rescan(reason): rescan = reason
            case let .file(path):
                // A name that is not UTF-8 arrives mangled: only a scan can reach it.
                if path.unicodeScalars.contains("\u{FFFD}") { rescan = "a file with a name that is not valid text" }
                files.insert(path)
            }
        }
        if let rescan {
            logger.info("rescanning the drop folder", metadata: ["because": "\(rescan)"])
            scan(reason: rescan)
            return true
        }
        // A few hints (the status page's own writes, every few seconds) are looked up one by one:
        // a set of every queued path would copy 10,000 items to learn they are not new.
        var known: Set<String>? = nil
        for path in files {
            if config.everyManifestPath.contains(path) { checkManifest(); continue }
            if config.statusPagePaths.contains(path) { continue }
            if files.count <= 32 {
                if session.journal.item(forRelativePath: path) != nil { continue }
            } else {
                if known == nil { known = knownPaths() }
                if known?.contains(path) == true { continue }
            }
            if let entry = pipeline?.drop.stat(path) ?? (try? DropFolder(path: config.folders.drop))?.stat(path) {
                if !DropFolder.isIgnored(name: String(path.split(separator: "/").last ?? "")) { observe(entry) }
            } else {
                settler.forget(path)
                session.board.forget(path)
            }
        }
        return false
    }

    /// What the board says of a file waiting to settle: made once per scan, so 10,000 arrivals
    /// share one string.
    func settleWaitingMessage() -> String {
        "waiting \(DurationText.format(config.policy.settleTime)) for it to settle"
    }

    func observe(_ entry: DropFolder.Entry, waiting: String? = nil) {
        let isNew = settler.observations[entry.path] == nil
        settler.observe(entry.path, size: entry.size, modified: entry.modified, now: now)
        if isNew {
            // The size comes when it settles: while a file is copied in, it means little.
            logger.info("discovered", metadata: ["file": "\(entry.path)"])
        }
        let changing = settler.observations[entry.path].map { $0.changes > 0 } ?? false
        let message = pipeline == nil ? "waiting: a manifest must be fixed first (see the top of status)"
            : changing ? "still being written" : waiting ?? settleWaitingMessage()
        session.board.set(entry.path, state: .arriving, size: entry.size, message: message)
    }

    /// Files waiting to settle are looked at again every second: growing, finished, or gone.
    func recheckSettling() {
        guard let drop = pipeline?.drop else { return }
        let waiting = settleWaitingMessage()
        for path in settler.observations.keys {
            if let entry = drop.stat(path) {
                observe(entry, waiting: waiting)
            } else {
                settler.forget(path)
                session.board.forget(path)
            }
        }
    }

    /// Paths already in the journal's queue or in flight: not observed again.
    func knownPaths() -> Set<String> {
        session.journal.unfinishedPaths()
    }

    func admitSettled(now: Duration) {
        guard let pipeline else { return }
        let admission = Admission(pipeline: pipeline)
        let ready = settler.ready(now: now)
        // Thousands admitted at once (the first scan of a full drop folder) leave megabytes of
        // the heap free: given back to the system, not kept for the daemon's life.
        defer { if ready.count >= 1000 { LinuxCalls.trimMalloc() } }
        for path in ready {
            guard scheduler.admitsNewFiles(now: self.now) else { return }
            let size = settler.observations[path]?.size ?? 0
            settler.forget(path)
            logger.info("settled", metadata: ["file": "\(path)", "size": "\(size)"])
            admitted(path, admission.admit(path, active: workers.activeIDs))
        }
    }
}
