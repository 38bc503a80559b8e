import Dispatch
import Logging
import Synchronization
import UploaderCore
import UploaderJournal
import UploaderSystem

/// The uploads running now, one OS thread each (they block in libcurl), and the outcomes
/// they hand back to the daemon's loop.
final class TransferWorkers: Sendable {
    private struct State {
        var running: [UInt64: OSThread] = [:]
        var finished: [(UInt64, Delivery.Ended)] = []
    }

    private let state = Mutex(State())
    private let wake: DispatchSemaphore

    init(wake: DispatchSemaphore) {
        self.wake = wake
    }

    var activeIDs: Set<UInt64> { state.withLock { Set($0.running.keys) } }
    var count: Int { state.withLock { $0.running.count } }

    /// Starts the item's transfer; a thread the system refuses ends it at once as a failure the
    /// scheduler tries again later.
    func start(_ item: JournalItem, pipeline: Pipeline) {
        let wake = self.wake
        state.withLock { state in
            do {
                state.running[item.id] = try OSThread { [self] in
                    let ended = Delivery(pipeline: pipeline).deliver(item)
                    self.state.withLock { $0.finished.append((item.id, ended)) }
                    wake.signal()
                }
            } catch {
                pipeline.logger(for: item.relativePath, destination: item.destinationName).error("cannot start a transfer thread; the upload is tried again later", metadata: ["error": "\(error)"])
                state.finished.append((item.id, Delivery.Ended(outcome: .failed("\(error)", permanent: false))))
                wake.signal()
            }
        }
    }

    /// Outcomes of the transfers that ended since the last call; their threads are joined.
    func collect() -> [(UInt64, Delivery.Ended)] {
        let (done, threads) = state.withLock { state -> ([(UInt64, Delivery.Ended)], [OSThread]) in
            let done = state.finished
            state.finished.removeAll()
            let threads = done.compactMap { state.running.removeValue(forKey: $0.0) }
            return (done, threads)
        }
        threads.forEach { $0.join() }
        return done
    }

    /// Waits for every transfer to end (they end quickly once the stop signal is raised).
    func waitForAll(timeoutSeconds: Double) -> [(UInt64, Delivery.Ended)] {
        let deadline = WallClock.monotonic() + timeoutSeconds
        var outcomes: [(UInt64, Delivery.Ended)] = []
        while count > 0 && WallClock.monotonic() < deadline {
            _ = wake.wait(timeout: .now() + .milliseconds(50))
            outcomes += collect()
        }
        return outcomes
    }
}
