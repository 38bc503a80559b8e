import Logging
import UploaderCore
import UploaderCurl
import UploaderJournal
import UploaderSystem

/// The driver's half of the scheduler: what each of its actions does in the world (start a
/// transfer, show an item, pause a destination, stop...), and the answers to `retry`.
extension Daemon {
    // MARK: - The scheduler's actions

    /// Tells the scheduler what admitting a file came to, with the destination it was queued for.
    func admitted(_ path: String, _ result: AdmissionResult) {
        var item: JournalItem? = nil
        if case let .queued(id) = result { item = session.journal.item(id: id) }
        if case let .alreadyQueued(id) = result { item = session.journal.item(id: id) }
        let destination = item?.destinationName ?? ""
        let deadline = item.flatMap { config.deadline(unit: $0.labels.unit, destination: destination) }
        perform(scheduler.handle(.admitted(path: path, result, destination: destination, deadline: deadline, size: item?.size), now: now))
    }

    /// The status board's pause line: which portals refused their credentials.
    var pausedBoardText: String? {
        guard !scheduler.paused.isEmpty else { return nil }
        let names = scheduler.paused.keys.filter { !$0.isEmpty }.sorted()
        if names.isEmpty { return "the portal refused the centre's credentials: check the password, then reload" }
        return "the portal of \(names.joined(separator: ", ")) refused the centre's credentials: check the password, then reload"
    }

    /// What the status says of paused destinations, nil when none is.
    var pausedSummary: String? {
        guard !scheduler.paused.isEmpty else { return nil }
        return scheduler.paused.sorted { $0.key < $1.key }
            .map { $0.key.isEmpty ? $0.value : "\($0.key): \($0.value)" }.joined(separator: "; ")
    }

    /// `retryCause`: with the actions that answer a finished transfer, why it failed (the
    /// scheduler's retry line counts it in the metrics).
    func perform(_ actions: [Scheduler.Action], retryCause: RetryCause = .other) {
        for action in actions { perform(action, retryCause: retryCause) }
    }

    fileprivate func perform(_ action: Scheduler.Action, retryCause: RetryCause) {
        switch action {
        case let .start(id):
            guard let pipeline, let item = session.journal.item(id: id), !item.state.isFinished else {
                perform(scheduler.handle(.withdrawn(id), now: now))
                return
            }
            workers.start(item, pipeline: pipeline)

        case let .show(id, state):
            let item = session.journal.item(id: id)
            let path = item?.relativePath ?? "#\(id)"
            let size = item?.size ?? 0
            switch state {
            case .queued:
                session.board.set(path, state: .queued, size: size, labels: item?.labels, id: id)
            case let .failed(reason):
                session.board.set(path, state: .failed, size: size,
                                  message: reason + (mode == .daemon ? " (run `evidence-uploader retry \(id)` after fixing it)" : ""))
                notifyFailed(id: id, reason: reason)
            case let .retrying(message):
                session.board.set(path, state: .retrying, size: size, message: message, retryCause: retryCause)
            case .paused:
                session.board.set(path, state: .paused, size: size, message: "waiting for a working password")
            }

        case let .pause(destination, reason):
            guard mode == .daemon else { return }
            routine.did(.credentials, now: now)
            var metadata: Logger.Metadata = ["reason": "\(reason)"]
            if !destination.isEmpty { metadata["destination"] = "\(destination)" }
            logger.critical(destination.isEmpty
                ? "all uploads paused: the portal refused the centre's credentials; fix the password (or portal.username) and reload with `systemctl reload evidence-uploader`"
                : "uploads to this destination paused: its portal refused the centre's credentials; fix its password (or username) and reload with `systemctl reload evidence-uploader`",
                metadata: metadata)
            session.board.setPaused(pausedBoardText)
            session.board.setPaused(destination: destination, reason)
            notifyPause(destination: destination, reason: reason)

        case let .resume(destination):
            session.board.setPaused(pausedBoardText)
            session.board.setPaused(destination: destination, nil)
            notifyPause(destination: destination, reason: nil)

        case let .lookAgain(id):
            guard let item = session.journal.item(id: id), let entry = pipeline?.drop.stat(item.relativePath) else { return }
            if mode == .daemon {
                observe(entry)
            } else {
                scheduler.countNotDelivered()
            }

        case let .admitLater(path, reason, firstTime):
            if mode == .once {
                logger.warning("not taken this time", metadata: ["file": "\(path)", "reason": "\(reason)"])
                return
            }
            // Still open for writing, or briefly unreadable: look again after another settle time.
            if firstTime { logger.info("not taken yet", metadata: ["file": "\(path)", "because": "\(reason)"]) }
            if let entry = pipeline?.drop.stat(path) {
                settler.observe(path, size: entry.size, modified: entry.modified, now: now)
                session.board.set(path, state: .arriving, size: entry.size, message: reason)
            }

        case let .holdAdmissions(reason):
            if mode == .once {
                logger.error("the state folder is full; files not yet recorded stay in the drop folder", metadata: ["error": "\(reason)"])
                problems.append(reason)
                return
            }
            // Nothing is lost: the file stays in the drop folder; it is looked at again later.
            logger.critical("the state folder is full: new files wait in the drop folder until space is freed", metadata: ["error": "\(reason)"])
            session.board.setPaused("the state folder \(config.folders.state) is full: free some space")

        case .resumeAdmissions:
            session.board.setPaused(pausedBoardText)
            logger.notice("the state folder has room again; taking new files")

        case let .stopProcess(reason):
            logger.critical("the journal cannot be written; stopping so the service manager can restart", metadata: ["error": "\(reason)"])
            journalFailure = reason
            signals.stop.raise()

        case let .retryAnswered(answer):
            switch answer {
            case let .queued(ids):
                for id in ids {
                    logger.info("queued again on request", metadata: ["id": "\(id)", "file": "\(session.journal.item(id: id)?.relativePath ?? "")"])
                }
            case let .alreadyQueued(id):
                logger.info("retry asked for an item that is being uploaded now", metadata: ["id": "\(id)"])
            case let .alreadyDelivered(id), let .notFound(id):
                logger.warning("retry asked for an item that is not waiting", metadata: ["id": "\(id)"])
            case .nothingFailed:
                logger.info("retry asked for failed items; none failed")
            }

        case .finishedAll:
            finishedAll = true
        }
    }

    func handleRequests() {
        for (request, token) in ControlRequests.take(stateDirectory: config.folders.state) {
            let actions: [Scheduler.Action]
            switch request {
            case let .retry(id):
                let known: Scheduler.RetryTarget
                if let item = session.journal.item(id: id) {
                    known = item.state.isFinished ? .finished(path: item.relativePath) : .waiting(path: item.relativePath)
                } else {
                    known = .unknown
                }
                actions = scheduler.handle(.retryRequested(id: id, known: known), now: now)
            case .retryFailed:
                actions = scheduler.handle(.retryFailedRequested, now: now)
            }
            perform(actions)
            guard let token else { continue }
            for case let .retryAnswered(answer) in actions {
                do {
                    try ControlRequests.answer(reply(to: answer), token: token, stateDirectory: config.folders.state)
                } catch {
                    logger.warning("cannot answer a retry request", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// What `retry` prints: what happened, in words.
    private func reply(to answer: Scheduler.RetryAnswer) -> ControlRequests.Answer {
        func named(_ id: UInt64) -> String {
            session.journal.item(id: id).map { "item #\(id) (\($0.relativePath.debugQuoted))" } ?? "item #\(id)"
        }
        switch answer {
        case let .queued(ids):
            return .init(done: true, message: ids.count == 1 ? "queued \(named(ids[0])) again"
                         : "queued \(ids.count) failed items again: " + ids.map { "#\($0)" }.joined(separator: ", "))
        case let .alreadyQueued(id):
            return .init(done: false, message: "\(named(id)) is being uploaded now: nothing to retry")
        case let .alreadyDelivered(id):
            let state = session.journal.item(id: id)?.state
            let word = state == .rejected ? "rejected (see its reason in the rejected folder)"
                : state == .abandoned ? "withdrawn (the file changed or was removed)" : "delivered"
            return .init(done: false, message: "\(named(id)) was already \(word): nothing to retry")
        case let .notFound(id):
            return .init(done: false, message: "there is no item #\(id): `evidence-uploader status` shows the numbers")
        case .nothingFailed:
            return .init(done: false, message: "no item has failed: nothing to retry")
        }
    }
}
