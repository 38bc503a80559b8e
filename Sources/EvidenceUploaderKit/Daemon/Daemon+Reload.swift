import Logging
import UploaderConfig
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's reactions to change: a reloaded config, a fixed password, a new manifest, the
/// rate schedule, a growing journal; and the one-line status for systemd.
extension Daemon {
    // MARK: - Reload, credentials, manifest

    func reload() {
        signals.reload.reset()
        notifier.reloading()
        logger.notice("reloading the configuration", metadata: ["config": "\(configPath)"])
        let newConfig: Config
        let newPasswords: PortalPasswords
        do {
            newConfig = try Config.load(path: configPath)
            newPasswords = try newConfig.loadPasswords(environment: environment)
        } catch {
            logger.error("the new configuration is refused; keeping the one in use", metadata: ["error": "\(error)"])
            notifier.ready(status: statusLine())
            return
        }
        if newConfig.folders != config.folders {
            logger.warning("folder changes take effect only after a restart; the other changes are applied now")
        }
        var applied = newConfig
        applied.folders = config.folders
        config = applied
        passwords = newPasswords
        if config.hasNamedDestinations {
            session.board.setDestinations(config.destinations.map { ($0.name, $0.folder) })
        }
        settler.settleTime = config.policy.settleTime
        routine.intervals.poll = config.folders.pollInterval
        applyRateSchedule()
        rebuildPipeline()
        credentialStamp = credentialFingerprint()
        let resumed = scheduler.handle(.credentialsChanged(), now: now)
        if !resumed.isEmpty {
            perform(resumed)
            logger.notice("uploads resumed after the reload")
        }
        notifier.ready(status: statusLine())
    }

    /// The drop folder, reopened when it was removed and made again; nil (said once) while it is missing.
    func currentDropFolder() -> DropFolder? {
        if let drop = pipeline?.drop, drop.isStillAtItsPath() {
            dropMissing = false
            return drop
        }
        guard let drop = try? DropFolder(path: config.folders.drop) else {
            if !dropMissing {
                dropMissing = true
                logger.error("the drop folder is missing; waiting for it to come back", metadata: ["folder": "\(config.folders.drop)"])
                session.board.setPaused("the drop folder \(config.folders.drop) is missing")
            }
            return nil
        }
        if dropMissing || pipeline != nil {
            logger.notice("the drop folder was made again; watching the new one", metadata: ["folder": "\(config.folders.drop)"])
        }
        if dropMissing { session.board.setPaused(pausedBoardText) }
        dropMissing = false
        rebuildPipeline(drop: drop)
        return drop
    }

    func rebuildPipeline(drop newDrop: DropFolder? = nil) {
        guard let drop = newDrop ?? pipeline?.drop ?? (try? DropFolder(path: config.folders.drop)) else { return }
        do {
            let manifests = try ManifestLoader.loadAll(from: drop, config: config)
            pipeline = try Pipeline(config: config, passwords: passwords, drop: drop, manifests: manifests, journal: session.journal,
                                    board: session.board, rateLimiter: session.rateLimiter, requestLimits: session.requestLimits, retry: session.retry,
                                    stop: signals.stop, logger: logger, orphans: pipeline?.orphans ?? session.pipeline?.orphans ?? OrphanUploads())
            session.board.setProblem(nil)
        } catch {
            logger.error(ManifestLoader.brokenMessage, metadata: ["error": "\(error.message)"])
            session.board.setProblem(ManifestLoader.statusProblem(error.message))
            pipeline = nil
        }
    }

    func checkManifest() {
        let now = manifestFingerprint()
        if now != manifestStamp {
            manifestStamp = now
            logger.info("manifest changed; reading it again")
            rebuildPipeline()
        }
    }

    /// While paused for a refused password: a changed credential or password file resumes.
    func checkCredentials() {
        routine.did(.credentials, now: now)
        let fingerprint = credentialFingerprint()
        guard fingerprint != credentialStamp else { return }
        credentialStamp = fingerprint
        do {
            passwords = try config.loadPasswords(environment: environment)
        } catch {
            logger.error("the changed password cannot be used", metadata: ["error": "\(error)"])
            return
        }
        rebuildPipeline()
        perform(scheduler.handle(.credentialsChanged(), now: now))
        logger.notice("the password changed; uploads resumed")
    }

    func credentialFingerprint() -> String {
        var parts: [String] = []
        for destination in config.destinations {
            if let directory = environment["CREDENTIALS_DIRECTORY"] { parts.append(stamp(directory + "/" + destination.credentialName)) }
            if !destination.portal.passwordFile.isEmpty { parts.append(stamp(destination.portal.passwordFile)) }
        }
        return parts.joined(separator: "|")
    }

    /// Every destination's manifest, as it is on disk now.
    func manifestFingerprint() -> String {
        config.everyManifestPath.map { stamp(config.folders.drop + "/" + $0) }.joined(separator: "|")
    }

    func stamp(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "absent" }
        return "\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec):\(st.st_mtim.tv_nsec)"
    }

    func maybeCompact() {
        // Compact when the journal has grown large: mostly finished items and old offsets.
        guard session.journal.fileSize > 16 << 20 else { return }
        do {
            let before = session.journal.fileSize
            try session.journal.compact()
            logger.info("journal compacted", metadata: ["before": "\(before)", "after": "\(session.journal.fileSize)"])
        } catch {
            logger.error("journal compaction failed", metadata: ["error": "\(error)"])
        }
    }

    /// The files moved into `uploaded/` lately made durable together, and their `moved` records
    /// written (`Journal.settle`). A failure is said once, until it passes; the records wait
    /// meanwhile, and a file whose record never got written is finished again at the next start.
    func settleMoves() {
        do {
            try session.journal.settle()
            if settleFailing { logger.notice("the moved files are recorded again") }
            settleFailing = false
        } catch {
            if !settleFailing { logger.error("cannot record the files moved to uploaded/ yet", metadata: ["error": "\(error)"]) }
            settleFailing = true
        }
    }

    /// The rate in force now (schedule windows, else max_rate), said once when it changes.
    func applyRateSchedule() {
        let rate = RateSchedule.bytesPerSecondNow(config.transfer)
        if rate != session.rateLimiter.bytesPerSecond || lastAppliedRate == nil {
            session.rateLimiter.setRate(rate)
            session.board.setRateLimit(rate > 0 ? rate : nil)
            logger.info("upload rate", metadata: ["limit": "\(rate > 0 ? ByteFormatting.rate(bytesPerSecond: Double(rate)) : "unlimited")"])
        }
        lastAppliedRate = rate
    }

    // MARK: - Status

    func statusLine() -> String {
        let snapshot = session.board.snapshot()
        let uploading = snapshot.items.filter { $0.state == .uploading }
        var parts: [String] = []
        if let paused = pausedSummary { parts.append("PAUSED: \(paused)") }
        if !uploading.isEmpty {
            let percents = uploading.map { $0.size > 0 ? "\($0.done * 100 / $0.size)%" : "0%" }.joined(separator: ", ")
            parts.append("\(uploading.count) uploading (\(percents))")
        }
        parts.append("\(snapshot.totals.queued) queued")
        if snapshot.totals.arriving > 0 { parts.append("\(snapshot.totals.arriving) arriving") }
        parts.append("\(snapshot.totals.delivered) delivered")
        if snapshot.totals.rejected > 0 { parts.append("\(snapshot.totals.rejected) rejected") }
        if snapshot.totals.failed > 0 { parts.append("\(snapshot.totals.failed) failed") }
        return parts.joined(separator: ", ")
    }
}
