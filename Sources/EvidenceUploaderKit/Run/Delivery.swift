import Logging
import UploaderCore
import UploaderCurl
import UploaderJournal
import UploaderSystem

/// Takes one journaled item from the queue to `uploaded/`. The decisions are the
/// `ItemMachine`'s (UploaderCore); this is its thin driver: it performs each action through the
/// ports (`DeliveryPorts`) and feeds the result back as the next event, until the machine
/// says how the delivery ended. Blocking: runs on a transfer thread.
struct Delivery {
    typealias Outcome = DeliveryOutcome

    /// How a delivery ended; `retryCause`: why, should the scheduler try it again later (the
    /// transfer's failure; `.other` for a local one), for the metrics.
    struct Ended: Sendable {
        var outcome: Outcome
        var retryCause: RetryCause = .other
    }

    let settings: DeliverySettings
    let ports: DeliveryPorts

    init(settings: DeliverySettings, ports: DeliveryPorts) {
        self.settings = settings
        self.ports = ports
    }

    /// A delivery of the run: its settings and its real ports.
    init(pipeline: Pipeline) {
        self.init(settings: DeliverySettings(pipeline: pipeline), ports: DeliveryPorts(pipeline: pipeline))
    }

    func deliver(_ item: JournalItem) -> Ended {
        var run = DeliveryRun(self, item)
        return run.run()
    }

    /// The name the portal is given for a compressed copy: the original's, as an MP4.
    static func sentName(_ original: String) -> String { ItemMachine.sentName(original) }
}

/// What a delivery reads besides its ports: the rules in force, the board it reports on, how it
/// retries and when it stops. Taken from the run's `Pipeline`; a test builds one from a config.
struct DeliverySettings: Sendable {
    /// Each destination's rules: routes, size limits, oversize videos, notes, labels.
    var examiner: Examiner
    var board: StatusBoard
    var retry: RetryPolicy
    var stop: StopSignal
    /// Uploads the portal holds that no journal item names, to be claimed.
    var orphans: OrphanUploads
    /// What each portal was found to refuse per request.
    var requestLimits: RequestSizeLimits
    /// `[transfer] chunk_size` and `max_chunk_size`, in bytes.
    var chunkSize: Int64
    var maxChunkSize: Int64
    /// The run's logger; `logger(for:destination:)` gives a file's.
    var logger: Logger

    init(examiner: Examiner, board: StatusBoard, retry: RetryPolicy, stop: StopSignal, orphans: OrphanUploads,
         requestLimits: RequestSizeLimits, chunkSize: Int64, maxChunkSize: Int64, logger: Logger) {
        self.examiner = examiner
        self.board = board
        self.retry = retry
        self.stop = stop
        self.orphans = orphans
        self.requestLimits = requestLimits
        self.chunkSize = chunkSize
        self.maxChunkSize = maxChunkSize
        self.logger = logger
    }

    init(pipeline: Pipeline) {
        self.init(examiner: pipeline.examiner, board: pipeline.board, retry: pipeline.retry, stop: pipeline.stop,
                  orphans: pipeline.orphans, requestLimits: pipeline.requestLimits,
                  chunkSize: pipeline.config.transfer.chunkSize.bytes, maxChunkSize: pipeline.config.transfer.maxChunkSize.bytes,
                  logger: pipeline.logger)
    }

    /// The logger of one file's delivery: the run's, with the file and its destination.
    func logger(for path: String, destination: String) -> Logger {
        Pipeline.logger(logger, for: path, destination: destination)
    }
}

/// One delivery under way: the machine, and what its actions opened (the descriptors).
struct DeliveryRun {
    let delivery: Delivery
    var settings: DeliverySettings { delivery.settings }
    var ports: DeliveryPorts { delivery.ports }
    /// The journal's item; gains its compressed copy on the way.
    var item: JournalItem
    var machine: ItemMachine
    let logger: Logger
    var file: (any OpenedEvidence)? = nil
    var compressedFile: CompressedFile? = nil
    /// The upload's failure, for the retry cause when the delivery ends by it.
    var transferFailure: TusFailure? = nil

    init(_ delivery: Delivery, _ item: JournalItem) {
        self.delivery = delivery
        self.item = item
        let examiner = delivery.settings.examiner
        let isOver = examiner.compresses(size: item.size, destination: item.destinationName)
        machine = ItemMachine(item: .init(item), oversize: .init(
            isOver: isOver, compresses: examiner.oversizeVideo(destination: item.destinationName) == .compress,
            toolsInstalled: isOver && delivery.ports.compressor.isInstalled))  // looked for only when it matters
        logger = delivery.settings.logger(for: item.relativePath, destination: item.destinationName)
    }

    mutating func run() -> Delivery.Ended {
        var actions = machine.start()
        while true {
            var event: ItemMachine.Event? = nil
            for action in actions {
                if case let .end(outcome) = action { return ended(outcome) }
                event = perform(action)
            }
            guard let event else { return ended(.failed("the delivery stopped without an outcome", permanent: false)) }
            actions = machine.handle(event)
        }
    }

    /// Performs one action; the result is the machine's next event (nil for `.tell`).
    private mutating func perform(_ action: ItemMachine.Action) -> ItemMachine.Event? {
        switch action {
        case .statDrop:
            return .dropStatted(ports.drop.stat(item.relativePath).map { .init(device: $0.device, inode: $0.inode) })
        case .open:
            return open()
        case .findMoved:
            return .foundMoved(ports.uploaded.find(item.relativePath, inode: item.inode))
        case let .askPortalHoldsAll(url, length):
            return .portalHoldsAll(ports.portal(item.destinationName).transport.holdsAll(url, length: length))
        case .hash:
            return hash()
        case let .findDuplicate(sha256):
            return .duplicate(ports.journal.finishedItem(sha256: sha256, labels: item.labels).map {
                .init(id: $0.id, name: $0.destination ?? $0.relativePath, uploadURL: $0.uploadURL)
            })
        case .compress:
            return compress()
        case let .claimOrphan(fileName, length, sha256):
            return .orphan(settings.orphans.claim(fileName: fileName, length: length, sha256: sha256).map {
                .init(url: $0.url, offset: $0.offset)
            })
        case let .upload(upload):
            return self.upload(upload)
        case let .record(record):
            do { try ports.journal.append(journalRecord(record)) } catch { return .failed(.init(error)) }
            return .recorded
        case let .move(receipt):
            return move(receipt)
        case let .writeReceipt(destination, receipt):
            return writeReceipt(at: destination, receipt)
        case let .keepCompressedCopy(destination):
            return keepCompressedCopy(originalAt: destination)
        case let .withdraw(url):
            withdraw(url)
            return .withdrawn
        case let .reject(reason):
            return reject(reason)
        case let .tell(notice):
            tell(notice)
            return nil
        case .end:
            return nil
        }
    }

    /// What the status shows at the end, and the retry cause of a failed transfer.
    private func ended(_ outcome: DeliveryOutcome) -> Delivery.Ended {
        switch outcome {
        case .delivered, .duplicate:
            settings.board.set(item.relativePath, state: .delivered, size: item.size, labels: item.labels, id: item.id)
        case .superseded:
            settings.board.forget(item.relativePath)
        default:
            break
        }
        let cause = machine.endedByTransferFailure ? transferFailure?.retryCause ?? .other : .other
        return Delivery.Ended(outcome: outcome, retryCause: cause)
    }

    private func journalRecord(_ record: ItemMachine.Record) -> JournalRecord {
        switch record {
        case let .hashed(sha256): return .hashed(id: item.id, sha256: sha256)
        case let .created(url): return .created(id: item.id, uploadURL: url)
        case .delivered: return .delivered(id: item.id)
        case let .moved(destination): return .moved(id: item.id, destination: destination)
        case let .abandoned(reason): return .abandoned(id: item.id, reason: reason)
        }
    }
}

extension ItemMachine.Item {
    init(_ item: JournalItem) {
        self.init(id: item.id, device: item.device, inode: item.inode, size: item.size, modified: item.mtimeNanos,
                  sha256: item.sha256, uploadURL: item.uploadURL, isDelivered: item.state == .delivered,
                  compressedCopy: item.compressedCopy.map { .init(size: $0.size, sha256: $0.sha256) })
    }
}

extension ItemMachine.Failure {
    init(_ error: EvidenceError) {
        self.init(error.code == .journal ? .journal : error.code == .stateFull ? .stateFull : .other, error.description)
    }
}

extension JournalItem {
    /// The bytes the portal gets: the compressed copy's, or the file's own.
    var uploadLength: Int64 { compressedCopy?.size ?? size }
}
