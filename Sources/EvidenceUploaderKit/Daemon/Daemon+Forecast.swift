import Logging
import UploaderConfig
import UploaderCore
import UploaderSystem

/// Deadlines: when each queued file will probably be delivered, from the link's rate under the
/// rate schedule, and which will miss its unit's deadline. Said in status and on the page, and in
/// the log and the notifications once per item.
extension Daemon {
    func updateForecast() {
        let queue = Array(scheduler.active).sorted() + scheduler.pending
        guard queue.contains(where: { scheduler.deadline(of: $0) != nil }) else { return }
        let snapshot = session.board.snapshot()
        let done = Dictionary(snapshot.items.map { ($0.path, $0.done) }, uniquingKeysWith: { a, _ in a })
        var paths: [UInt64: String] = [:]
        let items: [DeliveryForecast.Item] = queue.compactMap { id in
            guard let item = session.journal.item(id: id) else { return nil }
            paths[id] = item.relativePath
            return .init(id: id, remaining: item.size - (done[item.relativePath] ?? 0), deadline: scheduler.deadline(of: id))
        }
        // The link's rate: what the uploads get now, or the best seen lately when little is moving.
        let measured = snapshot.totals.bytesPerSecond
        linkRate = max(measured, linkRate * 0.99)
        let link = linkRate
        let transfer = config.transfer
        let now = WallClock.now()
        let estimates = DeliveryForecast.estimate(queue: items, now: now) { second in
            let cap = Double(RateSchedule.bytesPerSecond(transfer, at: second))
            if link <= 0 { return cap }
            return cap > 0 ? min(cap, link) : link
        }
        for item in items {
            guard let path = paths[item.id], let estimate = estimates[item.id] else { continue }
            session.board.setForecast(path, deadline: item.deadline, estimatedDelivery: estimate.delivery, risk: estimate.risk?.rawValue)
            guard let risk = estimate.risk, riskSaid[item.id] != risk else { continue }
            riskSaid[item.id] = risk
            let deadline = item.deadline.map { Notes.localTime($0) } ?? ""
            var metadata: Logger.Metadata = ["file": "\(path)", "deadline": "\(deadline)"]
            if let delivery = estimate.delivery { metadata["estimated"] = "\(Notes.localTime(delivery))" }
            if let destination = scheduler.destination(of: item.id), !destination.isEmpty { metadata["destination"] = "\(destination)" }
            if risk == .overdue {
                logger.warning("overdue: the deadline of this file's unit has passed and it is not delivered yet", metadata: metadata)
            } else {
                logger.warning("at risk: at the current rate this file will be delivered after its unit's deadline", metadata: metadata)
            }
            notifyAtRisk(id: item.id, path: path, risk: risk, deadline: item.deadline, estimate: estimate.delivery)
        }
    }
}
