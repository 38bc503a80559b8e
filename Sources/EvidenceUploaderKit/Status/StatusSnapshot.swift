/// What `status` shows, as the daemon writes it to `<state>/status.json`.
public struct StatusSnapshot: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            case arriving = "still being written"
            case queued, hashing, compressing, uploading, retrying, paused
            case delivered, rejected, failed
        }
        public var id: UInt64?
        public var path: String
        /// The awarding body (`[destination.NAME]`); absent without destinations.
        public var destination: String?
        public var candidate: String?
        public var unit: String?
        public var state: State
        public var size: Int64
        public var done: Int64
        public var bytesPerSecond: Double?
        public var etaSeconds: Double?
        public var message: String?
        /// Seconds since the epoch when it entered this state.
        public var since: Int64
        /// When its unit is due (seconds since the epoch), if it has a deadline.
        public var deadline: Int64?
        /// When it will probably be delivered (seconds since the epoch), while queued or uploading.
        public var estimatedDelivery: Int64?
        /// "at_risk" (will probably miss its deadline) or "overdue" (the deadline has passed).
        public var risk: String?
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var arriving = 0
        public var queued = 0
        public var uploading = 0
        public var delivered = 0
        public var rejected = 0
        public var failed = 0
        public var bytesPerSecond: Double = 0
    }

    /// A portal that refused requests above a size: chunks to it are sent no larger.
    public struct RequestLimit: Codable, Sendable, Equatable {
        public var portal: String
        public var maxRequestBytes: Int64
        public var reason: String
    }

    public var pid: Int32
    public var startedAt: Int64
    public var updatedAt: Int64
    /// Why all uploads are paused (wrong password, ...), nil when running.
    public var paused: String?
    public var rateLimitBytesPerSecond: Int64?
    public var items: [Item]
    public var totals: Totals
    /// Learned this run; absent in status files of older versions.
    public var requestLimits: [RequestLimit]? = nil

    /// One awarding body's state, with destinations.
    public struct Destination: Codable, Sendable, Equatable {
        public var name: String
        public var folder: String
        /// Why its uploads are paused (its portal refused the password), nil when active.
        public var paused: String?
    }

    /// Absent without destinations.
    public var destinations: [Destination]? = nil
    /// What stops new files from being taken (a broken manifest), with where and how to fix it.
    public var problem: String? = nil

    /// What one destination ("" without destinations) has done since the daemon started.
    public struct Counters: Codable, Sendable, Equatable {
        public var destination: String
        public var delivered = 0
        public var rejected = 0
        public var failed = 0
        /// The sizes of the files delivered.
        public var deliveredBytes: Int64 = 0
        /// Bytes put on the wire by uploads (a chunk sent again after a failure counts again;
        /// where an upload resumed, what the portal already held does not count).
        public var sentBytes: Int64 = 0
        /// Retries by cause (`RetryCause`).
        public var retries: [String: Int] = [:]
        public init(destination: String) { self.destination = destination }
    }

    /// Since the daemon started, by destination; absent in status files of older versions.
    public var counters: [Counters]? = nil
    /// Seconds since the epoch of the last delivery, nil before the first.
    public var lastDeliveryAt: Int64? = nil
}
