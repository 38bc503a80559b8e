/// When each queued file will probably be delivered, and which will miss their deadline. Pure:
/// the caller gives the queue in the order it will be sent, the time now, and the rate the link
/// will give at any moment (the measured rate under the rate schedule's caps).
package enum DeliveryForecast {
    package struct Item: Sendable, Equatable {
        package var id: UInt64
        /// Bytes still to send.
        package var remaining: Int64
        /// When its unit is due (seconds since the epoch), if it has a deadline.
        package var deadline: Int64?
        package init(id: UInt64, remaining: Int64, deadline: Int64?) {
            self.id = id
            self.remaining = remaining
            self.deadline = deadline
        }
    }

    package enum Risk: String, Sendable, Equatable {
        /// Its deadline has passed and it is not delivered.
        case overdue
        /// It will probably be delivered after its deadline.
        case atRisk = "at_risk"
    }

    package struct Estimate: Sendable, Equatable {
        /// Seconds since the epoch; nil when the link gives nothing within the horizon.
        package var delivery: Int64?
        package var risk: Risk?
        package init(delivery: Int64?, risk: Risk?) {
            self.delivery = delivery
            self.risk = risk
        }
    }

    /// How far ahead to look (90 days): beyond it, no estimate.
    package static let horizonSeconds: Int64 = 90 * 24 * 3600

    /// The queue is one pipe at the link's rate: each file is delivered when the bytes before it and
    /// its own have gone. `rate(t)` is bytes per second from second `t` to the next minute (0 = nothing
    /// moves then, e.g. a window that stops uploads).
    package static func estimate(queue: [Item], now: Int64, rate: (Int64) -> Double) -> [UInt64: Estimate] {
        var estimates: [UInt64: Estimate] = [:]
        var t = Double(now)
        let end = Double(now + horizonSeconds)
        var lostBeyondHorizon = false
        for item in queue {
            var remaining = Double(max(0, item.remaining))
            while remaining > 0 && !lostBeyondHorizon {
                let second = Int64(t.rounded(.down))
                let nextMinute = Double(second - ((second % 60) + 60) % 60 + 60)
                let r = rate(second)
                if r > 0 {
                    let needed = remaining / r
                    let step = min(needed, max(nextMinute - t, 0.001))
                    remaining -= step * r
                    t += step
                    if needed <= step { remaining = 0 }
                } else {
                    t = nextMinute
                }
                if t > end { lostBeyondHorizon = true }
            }
            let delivery: Int64? = lostBeyondHorizon ? nil : Int64(t.rounded(.up))
            var risk: Risk? = nil
            if let deadline = item.deadline {
                if deadline < now { risk = .overdue }
                else if delivery.map({ $0 > deadline }) ?? true { risk = .atRisk }
            }
            estimates[item.id] = Estimate(delivery: delivery, risk: risk)
        }
        return estimates
    }
}
