import Synchronization
import UploaderCore
import UploaderSystem

/// libcurl handles kept between uploads, so the next file to the same portal reuses the open
/// connection (and its TLS session) instead of connecting again: on a real link that saves two or
/// three round trips per file. One per transfer thread at a time: a handle is taken out, used by
/// that thread alone, and put back.
final class ConnectionPool: Sendable {
    private let settings: HTTPClientSettings
    private let idle = Mutex<[PooledConnection]>([])
    /// Handles kept idle; more are closed when put back.
    static let maxIdle = 16

    init(settings: HTTPClientSettings) {
        self.settings = settings
    }

    /// An idle handle, or a new one.
    func take() throws(EvidenceError) -> CurlConnection {
        if let pooled = idle.withLock({ $0.popLast() }) { return pooled.connection }
        return try CurlConnection(settings: settings)
    }

    /// Puts a handle back for the next upload; `healthy: false` (its last request failed in a way
    /// that may have left the connection odd) closes it instead.
    func putBack(_ connection: CurlConnection, healthy: Bool = true) {
        guard healthy else { return }
        connection.onProgress = nil
        idle.withLock { list in
            if list.count < Self.maxIdle { list.append(PooledConnection(connection: connection)) }
        }
    }

    /// Runs `body` with a handle taken from the pool, put back afterwards unless `body` threw.
    func with<T>(_ body: (CurlConnection) throws(TusFailure) -> T) throws(TusFailure) -> T {
        let connection: CurlConnection
        do { connection = try take() } catch { throw .localRead(error.description) }
        do {
            let result = try body(connection)
            putBack(connection)
            return result
        } catch {
            putBack(connection, healthy: error.isTransient == false && error != .cancelled)
            throw error
        }
    }
}

/// A handle while it sits idle in the pool. `@unchecked Sendable`: it is only ever touched by the
/// one thread that took it out; in the pool nobody touches it.
private struct PooledConnection: @unchecked Sendable {
    let connection: CurlConnection
}

/// What a tus portal said to `OPTIONS`, remembered per endpoint for a while so a file does not
/// cost a round trip to learn what the previous one already learned. Forgotten after 10 minutes,
/// and at once when an upload to that endpoint fails.
final class TusCapabilitiesCache: Sendable {
    private let entries = Mutex<[String: (capabilities: TusCapabilities, at: Double)]>([:])
    static let lifetimeSeconds = 600.0

    init() {}

    func get(_ endpoint: String) -> TusCapabilities? {
        entries.withLock { entries in
            guard let entry = entries[endpoint], WallClock.monotonic() - entry.at < Self.lifetimeSeconds else { return nil }
            return entry.capabilities
        }
    }

    func set(_ capabilities: TusCapabilities, for endpoint: String) {
        entries.withLock { $0[endpoint] = (capabilities, WallClock.monotonic()) }
    }

    func forget(_ endpoint: String) {
        _ = entries.withLock { $0.removeValue(forKey: endpoint) }
    }
}
