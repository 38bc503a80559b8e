import Dispatch
import Logging
import Synchronization
import UploaderConfig
import UploaderCore
import UploaderCurl
import UploaderSystem

/// `[notify]`: sends events to a webhook (a JSON POST) and by mail (`/usr/sbin/sendmail`) on a
/// thread of its own, so a slow or dead receiver never holds an upload up. Each event is tried
/// with backoff for about a minute; what cannot be sent is logged, never fatal.
final class Notifications: Sendable {
    private let webhook: String
    private let email: String
    private let logger: Logger
    private let queue = Mutex<[NotificationEvent]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let stop = StopSignal()
    /// Held back beyond this many waiting events (the oldest are dropped, and that is said).
    static let maxQueued = 1000
    static let delays: [Double] = [1, 2, 4, 8, 16, 32]

    init(_ notify: Config.Notify, logger: Logger) {
        webhook = notify.webhook
        email = notify.email
        self.logger = logger
        guard notify.isEnabled else { return }
        do {
            _ = try OSThread { [self] in self.run() }
        } catch {
            logger.error("cannot start the notifications thread; no notification is sent", metadata: ["error": "\(error)"])
        }
    }

    var isEnabled: Bool { !webhook.isEmpty || !email.isEmpty }

    func send(_ event: NotificationEvent) {
        guard isEnabled else { return }
        let dropped = queue.withLock { queue -> Bool in
            queue.append(event)
            if queue.count > Self.maxQueued {
                queue.removeFirst()
                return true
            }
            return false
        }
        if dropped { logger.warning("too many notifications waiting; the oldest was dropped") }
        wake.signal()
    }

    /// Ends the sending thread (what is still queued is not sent).
    func shutdown() {
        stop.raise()
        wake.signal()
    }

    private func run() {
        while !stop.isRaised {
            _ = wake.wait(timeout: .now() + .seconds(5))
            while !stop.isRaised, let event = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                deliver(event)
            }
        }
    }

    private func deliver(_ event: NotificationEvent) {
        if !webhook.isEmpty {
            deliverWithRetries(event, to: "webhook") { () throws(EvidenceError) in try postWebhook(event) }
        }
        if !email.isEmpty {
            deliverWithRetries(event, to: "email") { () throws(EvidenceError) in try Sendmail.send(to: email, subject: event.subject, body: event.text) }
        }
    }

    private func deliverWithRetries(_ event: NotificationEvent, to channel: String, _ attempt: () throws(EvidenceError) -> Void) {
        var lastError = ""
        for (index, delay) in ([0] + Self.delays).enumerated() {
            if delay > 0 && !stop.sleep(seconds: delay) { return }
            do {
                try attempt()
                logger.debug("notification sent", metadata: ["event": "\(event.event.rawValue)", "to": "\(channel)"])
                return
            } catch {
                lastError = error.message
                if index == 0 {
                    logger.warning("a notification could not be sent; trying again", metadata: [
                        "event": "\(event.event.rawValue)", "to": "\(channel)", "error": "\(lastError)",
                    ])
                }
            }
        }
        logger.error("a notification was not sent", metadata: ["event": "\(event.event.rawValue)", "to": "\(channel)", "error": "\(lastError)"])
    }

    private func postWebhook(_ event: NotificationEvent) throws(EvidenceError) {
        var settings = HTTPClientSettings()
        // The webhook's own origin only; no portal credentials ever go there.
        settings.origins = OriginPolicy(portalURLs: [webhook], uploadOrigins: [], credentialsToUploads: false)
        settings.lowSpeedTimeSeconds = 10
        settings.connectTimeoutSeconds = 10
        let connection = try CurlConnection(settings: settings)
        let response: HTTPResponse
        do {
            response = try connection.perform(HTTPRequest(method: .post, url: webhook,
                                                          headers: [("Content-Type", "application/json")], bytes: event.json))
        } catch {
            throw EvidenceError(.transfer, error.message)
        }
        guard (200..<300).contains(response.status) else {
            throw EvidenceError(.transfer, "the webhook answered \(response.status)")
        }
    }
}
