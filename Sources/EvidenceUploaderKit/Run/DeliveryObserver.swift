import Logging
import UploaderCore
import UploaderCurl

/// Records an upload's steps in the journal before they matter, updates the status board, and
/// writes the operator's log lines (progress every 10% or 30 seconds).
final class DeliveryObserver: UploadObserver {
    private let settings: DeliverySettings
    private let journal: any ItemJournal
    private let clock: any TimeSource
    private let id: UInt64
    private let path: String
    private let logger: Logger
    private let length: Int64
    /// The portal's origin, under which a learned request limit is remembered.
    private let portal: Origin?
    private var lastPercentStep: Int64 = 0
    private var lastLogTime: Duration
    /// The journal error that stopped the upload, if one did.
    private(set) var journalError: EvidenceError? = nil

    init(settings: DeliverySettings, journal: any ItemJournal, clock: any TimeSource, id: UInt64, path: String, length: Int64,
         portal: Origin?, logger: Logger) {
        self.portal = portal
        self.settings = settings
        self.journal = journal
        self.clock = clock
        lastLogTime = clock.monotonic()
        self.id = id
        self.path = path
        self.length = length
        self.logger = logger
    }

    func uploadCreated(url: String) throws(EvidenceError) {
        do { try journal.append(.created(id: id, uploadURL: url)) }
        catch { journalError = error; throw error }
        logger.info("upload created", metadata: ["url": "\(url)"])
    }

    func offsetConfirmed(_ offset: Int64, of length: Int64) throws(EvidenceError) {
        do {
            try journal.append(.offset(id: id, offset: offset))
        } catch {
            // A journal that cannot be written must stop this upload (it resumes from the
            // portal's offset later); the caller decides whether the whole process stops.
            journalError = error
            throw error
        }
        settings.board.progress(path, done: offset)
        let step = length > 0 ? offset * 10 / length : 10
        let now = clock.monotonic()
        if (step > lastPercentStep && step < 10) || now - lastLogTime >= .seconds(30) {
            lastPercentStep = step
            lastLogTime = now
            logger.info("progress", metadata: [
                "percent": "\(length > 0 ? offset * 100 / length : 100)",
                "sent": "\(ByteFormatting.human(offset))", "of": "\(ByteFormatting.human(length))",
            ])
        }
    }

    func resuming(url: String, from offset: Int64) {
        logger.notice("resuming upload from the portal's offset", metadata: ["url": "\(url)", "offset": "\(offset)"])
        settings.board.progress(path, done: offset)
    }

    func progress(_ bytes: Int64) {
        settings.board.progress(path, done: bytes)
    }

    func retrying(inSeconds seconds: Double, attempt: Int, cause: RetryCause, reason: String) {
        settings.board.set(path, state: .retrying, size: length, message: "retrying in \(Int(seconds.rounded())) s: \(reason)",
                           retryCause: cause)
        logger.warning("retrying", metadata: [
            "in": "\(ByteFormatting.fixed(seconds, 1))s", "attempt": "\(attempt)", "because": "\(reason)",
        ])
    }

    func requestLimitLearned(_ limit: UploadStateMachine.RequestLimit, failedSize: Int64) {
        settings.requestLimits.record(limit, for: portal)
        if let portal {
            settings.board.setRequestLimit(portal: portal.description, bytes: limit.bytes, reason: limit.reason.rawValue)
        }
        logger.warning("chunk size reduced; the upload goes on from the portal's offset", metadata: [
            "from": "\(ByteFormatting.human(failedSize))", "to": "\(ByteFormatting.human(limit.bytes))",
            "because": "\(limit.reason.rawValue)", "portal": "\(portal?.description ?? "")",
        ])
    }

    func abandoned(url: String) {
        logger.notice("abandoning a stale upload on the portal", metadata: ["url": "\(url)"])
    }
}
