import Testing
@testable import EvidenceUploaderKit
#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket bound to an abstract name, like systemd's notify socket.
private func listener(_ name: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(name.utf8)
    bytes[0] = 0
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    var timeout = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

private func receive(_ fd: Int32) -> String? {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = recv(fd, &buffer, buffer.count, 0)
    return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : nil
}

@Test func notifierSpeaksSdNotifyToAnAbstractSocket() {
    let name = "@evidence-uploader-test-\(getpid())"
    let fd = listener(name)
    defer { close(fd) }
    let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000"])
    #expect(notifier.isActive)
    #expect(notifier.watchdogInterval == 1.0)
    notifier.ready(status: "0 queued")
    #expect(receive(fd) == "READY=1\nSTATUS=0 queued")
    notifier.watchdog()
    #expect(receive(fd) == "WATCHDOG=1")
    notifier.stopping()
    #expect(receive(fd) == "STOPPING=1")
}

@Test func notifierIsSilentWithoutSystemd() {
    let notifier = SystemdNotifier(environment: [:])
    #expect(!notifier.isActive)
    #expect(notifier.watchdogInterval == nil)
    #expect(!notifier.send("READY=1"))
}

@Test func watchdogIsOffWhenMeantForAnotherProcess() {
    let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
    #expect(notifier.watchdogInterval == nil)
}
