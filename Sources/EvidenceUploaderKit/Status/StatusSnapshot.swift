/// What `status` shows, as the daemon writes it to `<state>/status.json`.
public struct StatusSnapshot: Codable, Sendable, Equatable {
    struct Item: Codable, Sendable, Equatable {
        enum State: String, Codable, Sendable {
            case arriving = "still being written"
            case queued, hashing, compressing, uploading, retrying, paused
            case delivered, rejected, failed
        }
        var id: UInt64?
        var path: String
        /// The awarding body (`[destination.NAME]`); absent without destinations.
        var destination: String?
        var candidate: String?
        var unit: String?
        var state: State
        var size: Int64
        var done: Int64
        var bytesPerSecond: Double?
        var etaSeconds: Double?
        var message: String?
        /// Seconds since the epoch when it entered this state.
        var since: Int64
        /// When its unit is due (seconds since the epoch), if it has a deadline.
        var deadline: Int64?
        /// When it will probably be delivered (seconds since the epoch), while queued or uploading.
        var estimatedDelivery: Int64?
        /// "at_risk" (will probably miss its deadline) or "overdue" (the deadline has passed).
        var risk: String?
    }

    struct Totals: Codable, Sendable, Equatable {
        var arriving = 0
        var queued = 0
        var uploading = 0
        var delivered = 0
        var rejected = 0
        var failed = 0
        var bytesPerSecond: Double = 0
    }

    /// A portal that refused requests above a size: chunks to it are sent no larger.
    struct RequestLimit: Codable, Sendable, Equatable {
        var portal: String
        var maxRequestBytes: Int64
        var reason: String
    }

    public var pid: Int32
    var startedAt: Int64
    var updatedAt: Int64
    /// Why all uploads are paused (wrong password, ...), nil when running.
    var paused: String?
    var rateLimitBytesPerSecond: Int64?
    var items: [Item]
    var totals: Totals
    /// Learned this run; absent in status files of older versions.
    var requestLimits: [RequestLimit]? = nil

    /// One awarding body's state, with destinations.
    struct Destination: Codable, Sendable, Equatable {
        var name: String
        var folder: String
        /// Why its uploads are paused (its portal refused the password), nil when active.
        var paused: String?
    }

    /// Absent without destinations.
    var destinations: [Destination]? = nil
    /// What stops new files from being taken (a broken manifest), with where and how to fix it.
    var problem: String? = nil

    /// What one destination ("" without destinations) has done since the daemon started.
    struct Counters: Codable, Sendable, Equatable {
        var destination: String
        var delivered = 0
        var rejected = 0
        var failed = 0
        /// The sizes of the files delivered.
        var deliveredBytes: Int64 = 0
        /// Bytes put on the wire by uploads (a chunk sent again after a failure counts again;
        /// where an upload resumed, what the portal already held does not count).
        var sentBytes: Int64 = 0
        /// Retries by cause (`RetryCause`).
        var retries: [String: Int] = [:]
        init(destination: String) { self.destination = destination }
    }

    /// Since the daemon started, by destination; absent in status files of older versions.
    var counters: [Counters]? = nil
    /// Seconds since the epoch of the last delivery, nil before the first.
    var lastDeliveryAt: Int64? = nil
}
