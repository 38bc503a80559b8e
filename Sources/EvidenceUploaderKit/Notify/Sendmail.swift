import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// A short plain-text mail through the system's `sendmail` (any MTA provides it), as a child
/// process with the message on its standard input. Bounded: a child that hangs is killed.
enum Sendmail {
    static let path = "/usr/sbin/sendmail"
    static let timeoutSeconds = 30.0

    static func send(to address: String, subject: String, body: String) throws(EvidenceError) {
        guard access(path, X_OK) == 0 else {
            throw EvidenceError(.system, "\(path) is missing: install a mail transfer agent (such as nullmailer or postfix) to send notification mails")
        }
        let message = "To: \(address)\nSubject: \(NotificationEvent.oneLine(subject))\nContent-Type: text/plain; charset=utf-8\nAuto-Submitted: auto-generated\n\n\(body)"
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            throw EvidenceError(.system, "cannot send a mail", cause: SystemCallError(operation: "pipe", path: nil, errno: errno))
        }
        // Not inherited by anything else this process starts: only the dup2'd stdin is.
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
        // -i: a line with a single "." does not end the message; the address is an argument,
        // after "--", never parsed from the message.
        let argv = [path, "-i", "--", address]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, &cArgs, environ)
        close(pipeFDs[0])
        guard spawned == 0 else {
            close(pipeFDs[1])
            throw EvidenceError(.system, "cannot run \(path)", cause: SystemCallError(operation: "posix_spawn", path: path, errno: spawned))
        }
        let bytes = Array(message.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(pipeFDs[1], $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            written += n
        }
        close(pipeFDs[1])
        let status = waitBounded(pid)
        guard written == bytes.count, let status, status == 0 else {
            throw EvidenceError(.system, status == nil ? "\(path) did not finish within \(Int(timeoutSeconds)) s" : "\(path) exited with status \(status ?? -1)")
        }
    }

    /// The child's exit status, or nil when it had to be killed.
    private static func waitBounded(_ pid: pid_t) -> Int32? {
        let deadline = WallClock.monotonic() + timeoutSeconds
        var status: Int32 = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if done < 0 && errno != EINTR { return -1 }
            if WallClock.monotonic() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return nil
            }
            usleep(50_000)
        }
    }
}
