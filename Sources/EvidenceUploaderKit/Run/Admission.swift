import Logging
import UploaderCore
import UploaderJournal

/// Takes a settled file into the queue: safe open, checks, and a `discovered` record in the
/// journal; or rejects it to `rejected/` with its reason. The decisions are the
/// `AdmissionMachine`'s (UploaderCore); this is its thin driver: it performs each action through
/// the ports (`AdmissionPorts`) and feeds the result back, until the machine says how it ended.
struct Admission {
    typealias Result = AdmissionResult

    let board: StatusBoard
    /// A file's logger, by its path.
    let logger: @Sendable (_ relativePath: String) -> Logger
    let ports: AdmissionPorts

    init(board: StatusBoard, logger: @escaping @Sendable (_ relativePath: String) -> Logger, ports: AdmissionPorts) {
        self.board = board
        self.logger = logger
        self.ports = ports
    }

    /// An admission of the run: its board, its loggers and its real ports.
    init(pipeline: Pipeline) {
        self.init(board: pipeline.board, logger: { [pipeline] path in pipeline.logger(for: path) },
                  ports: AdmissionPorts(pipeline: pipeline))
    }

    /// `active`: items a transfer thread is working on now; they are never touched here.
    func admit(_ relativePath: String, active: Set<UInt64> = []) -> Result {
        var run = AdmissionRun(self, relativePath, active: active)
        return run.run()
    }
}

/// One admission under way: the machine, the file it opened and what examining it found.
private struct AdmissionRun {
    let ports: AdmissionPorts
    let board: StatusBoard
    let relativePath: String
    let logger: Logger
    var machine: AdmissionMachine
    var file: (any OpenedEvidence)? = nil
    var acceptance: Examination.Acceptance? = nil

    init(_ admission: Admission, _ relativePath: String, active: Set<UInt64>) {
        ports = admission.ports
        board = admission.board
        self.relativePath = relativePath
        logger = admission.logger(relativePath)
        machine = AdmissionMachine(active: active)
    }

    mutating func run() -> AdmissionResult {
        var actions = machine.start()
        while true {
            var event: AdmissionMachine.Event? = nil
            for action in actions {
                if case let .end(result) = action { return result }
                event = perform(action)
            }
            guard let event else { return .deferred("the admission stopped without a result") }
            actions = machine.handle(event)
        }
    }

    /// Performs one action; the result is the machine's next event (nil for `.tell`).
    private mutating func perform(_ action: AdmissionMachine.Action) -> AdmissionMachine.Event? {
        switch action {
        case .open:
            do {
                let opened = try ports.drop.openEvidence(relativePath)
                file = opened
                return .opened(.init(device: opened.device, inode: opened.inode, size: opened.size, modified: opened.modified))
            } catch {
                switch error {
                case let .rejected(rejection): return .refused(.init(rejection))
                case let .system(cause): return .failed(.init(.other, cause.description))
                }
            }
        case .checkWriters:
            return .writers(file?.isOpenForWritingElsewhere() ?? false)
        case .findQueued:
            return .queued(ports.journal.item(forRelativePath: relativePath).map {
                .init(id: $0.id, file: .init(device: $0.device, inode: $0.inode, size: $0.size, modified: $0.mtimeNanos))
            })
        case .examine:
            guard let file else { return .failed(.init(.other, "the file is not open")) }
            do {
                switch try ports.examine(file, relativePath) {
                case let .rejected(rejection):
                    return .refused(.init(rejection))
                case let .accepted(accepted):
                    acceptance = accepted
                    return .accepted
                }
            } catch {
                return .failed(.init(error))
            }
        case let .record(record):
            guard let journalRecord = journalRecord(record) else { return .failed(.init(.other, "nothing was examined")) }
            do {
                return .recorded(try ports.journal.append(journalRecord))
            } catch {
                return .failed(.init(error))
            }
        case let .reject(rejection, opened):
            let moved = ports.reject(relativePath, Rejection(code: rejection.code, message: rejection.message),
                                     opened?.size ?? 0, opened?.inode)
            return .rejectionFiled(moved: moved)
        case let .tell(notice):
            tell(notice)
            return nil
        case .end:
            return nil
        }
    }

    private func journalRecord(_ record: AdmissionMachine.Record) -> JournalRecord? {
        switch record {
        case let .abandoned(id, reason):
            return .abandoned(id: id, reason: reason)
        case let .discovered(file):
            guard let acceptance else { return nil }
            return .discovered(id: 0, relativePath: relativePath, device: file.device, inode: file.inode, size: file.size,
                               mtimeNanos: file.modified, labels: acceptance.labels, fileType: acceptance.fileType,
                               endpoint: acceptance.endpoint, destinationName: acceptance.destination)
        }
    }

    /// The operator's words for each notice (and the status board's line for a queued file).
    private func tell(_ notice: AdmissionMachine.Notice) {
        switch notice {
        case .replaced:
            logger.notice("file replaced before its upload finished; starting again with the new one")
        case let .accepted(id):
            guard let acceptance, let file else { return }
            board.set(relativePath, state: .queued, size: file.size, labels: acceptance.labels, id: id)
            var fields: Logger.Metadata = [
                "id": "\(id)", "candidate": "\(acceptance.labels.candidate)", "unit": "\(acceptance.labels.unit)",
                "route": "\(acceptance.route.rawValue)", "type": "\(acceptance.fileType)", "size": "\(file.size)",
            ]
            if let (plan, original) = acceptance.compression {
                fields["compress"] = "\(original.summary) to \(plan.summary)"
            }
            logger.info("accepted", metadata: fields)
        case let .cannotRecord(message):
            logger.error("cannot record the file in the journal", metadata: ["error": "\(message)"])
        }
    }
}

extension AdmissionMachine.Rejection {
    init(_ rejection: Rejection) {
        self.init(code: rejection.code, message: rejection.message)
    }
}
