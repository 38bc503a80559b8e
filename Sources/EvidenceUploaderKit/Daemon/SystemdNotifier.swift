import Synchronization
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol, spoken directly: one datagram per message to `$NOTIFY_SOCKET`
/// (a path, or an abstract name written with a leading "@"). Silent when not under systemd.
final class SystemdNotifier: Sendable {
    private let socketPath: String?
    /// Half of `WatchdogSec=`, when the service manager asked for keep-alives.
    let watchdogInterval: Double?
    /// When WATCHDOG=1 was last sent (monotonic seconds).
    private let lastWatchdog = Mutex(0.0)

    init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        if path != nil, let usec = environment["WATCHDOG_USEC"].flatMap({ UInt64($0) }), usec > 0,
           environment["WATCHDOG_PID"].flatMap({ Int32($0) }).map({ $0 == getpid() }) ?? true {
            watchdogInterval = Double(usec) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    var isActive: Bool { socketPath != nil }

    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    func status(_ text: String) { send("STATUS=\(text)") }
    func stopping() { send("STOPPING=1") }
    func reloading() { send("RELOADING=1") }

    /// Sends WATCHDOG=1 when half the watchdog interval has passed; call it from the loop
    /// that makes progress, so a stuck loop gets the service restarted.
    func watchdog() {
        guard let interval = watchdogInterval else { return }
        let now = WallClock.monotonic()
        let due = lastWatchdog.withLock { last -> Bool in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
        if due { send("WATCHDOG=1") }
    }

    @discardableResult
    func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == bytes.count
    }
}
