import Logging

/// Turns upload events into operator log lines: creation, resume, retries, and progress
/// every 10% or 30 seconds.
final class ProgressLogger: UploadObserver {
    private let logger: Logger
    private let length: Int64
    private var lastPercentStep: Int64 = 0
    private var lastLogTime = WallClock.monotonic()

    init(logger: Logger, length: Int64) {
        self.logger = logger
        self.length = length
    }

    func uploadCreated(url: String) throws(EvidenceError) {
        logger.info("upload created", metadata: ["url": "\(url)"])
    }

    func offsetConfirmed(_ offset: Int64, of length: Int64) {
        let step = length > 0 ? offset * 10 / length : 10
        let now = WallClock.monotonic()
        if (step > lastPercentStep && step < 10) || now - lastLogTime >= 30 {
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
    }

    func progress(_ bytes: Int64) {}

    func retrying(inSeconds seconds: Double, attempt: Int, reason: String) {
        logger.warning("retrying", metadata: [
            "in": "\(ByteFormatting.fixed(seconds, 1))s", "attempt": "\(attempt)", "because": "\(reason)",
        ])
    }

    func abandoned(url: String) {
        logger.notice("abandoning a stale upload on the portal", metadata: ["url": "\(url)"])
    }
}
