import ArgumentParser
import EvidenceUploaderKit
#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each item's labels, state, progress, rate and ETA, and the totals (read from the state folder; works while the daemon runs).")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Print the status as JSON (with --watch: one line per snapshot).") var json = false
    @Flag(help: "Show it again every second until Ctrl-C: redrawn on a terminal, one snapshot after another when piped or redirected.")
    var watch = false

    func run() throws {
        try reportingFailures {
            let config = try options.load()
            // A redraw needs a terminal; into a pipe or a file each snapshot follows the last.
            let redraw = watch && !json && isatty(STDOUT_FILENO) == 1
            let stop = watch ? StopSignals() : nil
            repeat {
                let snapshot = try StatusBoard.read(stateDirectory: config.folders.state)
                let running = kill(snapshot.pid, 0) == 0 || errno == EPERM
                var output: String
                if json {
                    output = try StatusRendering.json(snapshot, running: running, pretty: !watch) + "\n"
                } else {
                    output = StatusRendering.text(snapshot, now: Int64(time(nil)), running: running)
                    if redraw { output = "\u{1B}[H\u{1B}[2J" + output } else if watch { output += "\n" }
                }
                // Written at once (a pipe would otherwise hold it back); a reader that has gone
                // (a closed pipe) ends the watch quietly.
                guard writeAll(output) else { return }
            } while stop?.wait(seconds: 1) == false
        }
    }
}

/// Writes `text` to standard output now, unbuffered; false when it cannot (EPIPE: the reader has gone).
private func writeAll(_ text: String) -> Bool {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        bytes = bytes.dropFirst(n)
    }
    return true
}

/// SIGINT, SIGTERM and SIGPIPE held back while `status --watch` runs, so that the pause between
/// snapshots ends at once on Ctrl-C or SIGTERM, and a closed pipe shows up as a failed write
/// instead of killing the process.
struct StopSignals {
    private var set = sigset_t()

    init() {
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGPIPE)
        sigprocmask(SIG_BLOCK, &set, nil)
    }

    /// Waits up to `seconds`; true when SIGINT or SIGTERM arrived (a pending SIGPIPE is consumed:
    /// the failed write says the same).
    func wait(seconds: Int) -> Bool {
        var set = self.set
        var timeout = timespec(tv_sec: seconds, tv_nsec: 0)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        deadline.tv_sec += seconds
        while true {
            let signal = sigtimedwait(&set, nil, &timeout)
            if signal == SIGINT || signal == SIGTERM { return true }
            if signal < 0 && errno == EAGAIN { return false }
            // SIGPIPE or EINTR: wait out the rest of the second.
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let left = (deadline.tv_sec - now.tv_sec) * 1_000_000_000 + (deadline.tv_nsec - now.tv_nsec)
            if left <= 0 { return false }
            timeout = timespec(tv_sec: left / 1_000_000_000, tv_nsec: left % 1_000_000_000)
        }
    }
}
