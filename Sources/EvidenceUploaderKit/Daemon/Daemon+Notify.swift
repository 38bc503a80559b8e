import UploaderCore
import UploaderSystem

/// What the daemon tells `[notify]`: permanent failures, paused and resumed portals, files at
/// risk, and once a day a summary.
extension Daemon {
    func event(_ kind: NotificationEvent.Kind, id: UInt64? = nil, destination: String? = nil, reason: String? = nil) -> NotificationEvent {
        let now = WallClock.now()
        var event = NotificationEvent(event: kind, time: now, localTime: Notes.localTime(now), destination: destination, reason: reason)
        if let id, let item = session.journal.item(id: id) {
            event.file = item.relativePath
            event.candidate = item.labels.candidate
            event.unit = item.labels.unit
            if event.destination == nil && !item.destinationName.isEmpty { event.destination = item.destinationName }
        }
        return event
    }

    func notifyFailed(id: UInt64, reason: String) {
        notifications?.send(event(.failed, id: id, reason: reason))
    }

    func notifyPause(destination: String, reason: String?) {
        notifications?.send(event(reason == nil ? .resumed : .paused, destination: destination.isEmpty ? nil : destination, reason: reason))
    }

    func notifyAtRisk(id: UInt64, path: String, risk: DeliveryForecast.Risk, deadline: Int64?, estimate: Int64?) {
        var e = event(risk == .overdue ? .overdue : .atRisk, id: id)
        e.deadline = deadline.map(Notes.localTime)
        e.estimatedDelivery = estimate.map(Notes.localTime)
        notifications?.send(e)
    }

    /// The first tick of a new local day sends the summary of the day before.
    func maybeSendDailySummary() {
        guard let notifications, notifications.isEnabled else { return }
        let today = WallClock.localText(WallClock.now(), format: "%Y-%m-%d")
        if summaryDay.isEmpty { summaryDay = today }
        guard today != summaryDay else { return }
        summaryDay = today
        var e = event(.dailySummary)
        e.deliveredToday = scheduler.tally.delivered - deliveredAtLastSummary
        e.waiting = scheduler.pending.count + scheduler.active.count
        e.needAttention = scheduler.failed.count + scheduler.paused.count
        deliveredAtLastSummary = scheduler.tally.delivered
        notifications.send(e)
    }
}
