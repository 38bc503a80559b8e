import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// One ffmpeg or ffprobe run as a child process, never linked: a decoder crash on a hostile file
/// ends the child, not the daemon. The evidence is its descriptor 3 (`/dev/fd/3`: the descriptor
/// the daemon opened safely, never the path); it runs at nice 10 in the idle I/O class, with
/// RLIMIT_CPU and a wall-time kill, and is killed when the daemon stops.
struct FFmpegChild {
    struct Limits: Sendable {
        var cpuSeconds: Int
        var wallSeconds: Double
        static let niceness: Int32 = 10
    }

    enum Ending: Sendable, Equatable {
        case exited(Int32)
        /// Killed by this signal (SIGXCPU / SIGKILL after RLIMIT_CPU, or a crash).
        case signalled(Int32)
        case wallTimeExceeded
        case stopped
    }

    struct Result: Sendable {
        var ending: Ending
        /// Standard output, up to `stdoutLimit` bytes.
        var stdout: [UInt8]
        /// The last lines of standard error, for the reason.
        var stderrTail: String
        var cpuSeconds: Double
    }

    /// The path the child reads the evidence at.
    static let evidencePath = "/dev/fd/3"

    /// Runs `argv` (argv[0] the program's path), feeding its standard output to `onOutput` as it
    /// comes, its standard error to `stderrPath`. Blocks until it ends.
    static func run(_ argv: [String], evidenceFD: Int32, limits: Limits, stderrPath: String, stop: StopSignal?,
                    stdoutLimit: Int = 1 << 20, onOutput: ([UInt8]) -> Void = { _ in }) throws(EvidenceError) -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            throw EvidenceError(.system, "cannot start \(argv[0])", cause: SystemCallError(operation: "pipe", path: nil, errno: errno))
        }
        defer { close(pipeFDs[0]) }
        // Only the child's dup2'd stdout inherits the write end.
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        let errFD = open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard errFD >= 0 else {
            let err = errno
            close(pipeFDs[1])
            throw EvidenceError(.system, "cannot start \(argv[0])", cause: SystemCallError(operation: "open", path: stderrPath, errno: err))
        }
        let spawned = LinuxCalls.spawnLimited(argv, environment: ["PATH=/usr/bin:/bin", "LC_ALL=C", "AV_LOG_FORCE_NOCOLOR=1"],
                                              evidenceFD: evidenceFD, stdoutFD: pipeFDs[1], stderrFD: errFD,
                                              niceness: Limits.niceness, cpuSeconds: limits.cpuSeconds)
        close(pipeFDs[1])
        close(errFD)
        let pid: pid_t
        switch spawned {
        case let .success(child): pid = child
        case let .failure(error): throw EvidenceError(.system, "cannot run \(argv[0])", cause: error)
        }
        let flags = fcntl(pipeFDs[0], F_GETFL)
        _ = fcntl(pipeFDs[0], F_SETFL, flags | O_NONBLOCK)

        let deadline = WallClock.monotonic() + limits.wallSeconds
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var killedFor: Ending? = nil
        var status: Int32 = 0
        var usage = rusage()
        while true {
            // Drain what the child wrote, then wait a little for more.
            var pfd = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 200)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
                if n <= 0 { break }
                let chunk = Array(buffer[0..<n])
                if output.count < stdoutLimit { output += chunk.prefix(stdoutLimit - output.count) }
                onOutput(chunk)
            }
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { break }
            if killedFor == nil {
                if stop?.isRaised == true { killedFor = .stopped }
                else if WallClock.monotonic() > deadline { killedFor = .wallTimeExceeded }
                if killedFor != nil { kill(pid, SIGKILL) }
            }
        }
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        let ending: Ending
        if let killedFor {
            ending = killedFor
        } else if status & 0x7f == 0 {
            ending = .exited((status >> 8) & 0xff)
        } else {
            ending = .signalled(status & 0x7f)
        }
        return Result(ending: ending, stdout: output, stderrTail: tail(of: stderrPath), cpuSeconds: cpu)
    }

    /// The last few lines of a log file, for a reason or a log line.
    static func tail(of path: String, lines: Int = 4) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return "" }
        let count = Int(min(Int64(st.st_size), 8192))
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(Int64(st.st_size) - Int64(count))) }
        let text = String(decoding: bytes.prefix(max(0, got)), as: UTF8.self)
        return text.split(separator: "\n").suffix(lines).map(trimmingSpaces).joined(separator: " | ")
    }

    /// A line without the spaces and tabs around it (Foundation's `.whitespaces`: tab and the
    /// Unicode space separators).
    static func trimmingSpaces(_ line: Substring) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = line.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
