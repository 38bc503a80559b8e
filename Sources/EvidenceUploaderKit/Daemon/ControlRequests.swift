import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Requests from the command line to the running daemon (`retry`), as small files in
/// `<state>/requests/`: written atomically by the command, read and removed by the daemon, which
/// answers each in `answer-<token>` so the command can say what happened.
public enum ControlRequests {
    public enum Request: Sendable, Equatable {
        case retry(UInt64)
        case retryFailed
    }

    /// The daemon's answer: whether anything was done, and what, in words.
    public struct Answer: Sendable, Equatable {
        public var done: Bool
        public var message: String
        init(done: Bool, message: String) {
            self.done = done
            self.message = message
        }
    }

    static func folder(_ stateDirectory: String) -> String { stateDirectory + "/requests" }

    /// Leaves a request for the daemon; returns the token its answer will carry.
    public static func submit(_ request: Request, stateDirectory: String) throws(EvidenceError) -> String {
        let folder = folder(stateDirectory)
        if mkdir(folder, 0o770) != 0 && errno != EEXIST {
            throw EvidenceError(.system, "cannot create \(folder.debugQuoted)", cause: SystemCallError(operation: "mkdir", path: folder, errno: errno))
        }
        let token = "\(getpid())-\(WallClock.now())-\(UInt32.random(in: 0...UInt32.max))"
        let name: String
        switch request {
        case let .retry(id): name = "retry-\(id)@\(token)"
        case .retryFailed: name = "retry-failed@\(token)"
        }
        do {
            try AtomicFile.write([], to: folder + "/" + name, mode: 0o660)
        } catch {
            throw EvidenceError(.system, "cannot write the request", cause: error)
        }
        return token
    }

    /// Takes (reads and removes) the pending requests, each with the token to answer it by.
    static func take(stateDirectory: String) -> [(request: Request, token: String?)] {
        let folder = folder(stateDirectory)
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var requests: [(Request, String?)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("retry-") else { continue }
            let parts = name.split(separator: "@", maxSplits: 1)
            let token = parts.count == 2 && parts[1].utf8.allSatisfy({ $0 == 0x2D || ($0 >= 0x30 && $0 <= 0x39) })
                ? String(parts[1]) : nil
            let what = parts[0].dropFirst(6)
            if what == "failed" {
                requests.append((.retryFailed, token))
            } else if let id = UInt64(what) {
                requests.append((.retry(id), token))
            } else {
                continue
            }
            unlink(folder + "/" + name)
        }
        return requests
    }

    /// The daemon's answer to the request with `token`.
    static func answer(_ answer: Answer, token: String, stateDirectory: String) throws(SystemCallError) {
        let text = (answer.done ? "done\n" : "nothing\n") + answer.message + "\n"
        try AtomicFile.write(Array(text.utf8), to: folder(stateDirectory) + "/answer-" + token, mode: 0o660, durability: .volatile)
    }

    /// Waits for the daemon's answer (and removes it); nil when none came in time.
    public static func awaitAnswer(token: String, stateDirectory: String, timeoutSeconds: Double) -> Answer? {
        let path = folder(stateDirectory) + "/answer-" + token
        let deadline = WallClock.monotonic() + timeoutSeconds
        repeat {
            if let text = try? AtomicFile.read(path) {
                unlink(path)
                let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
                return Answer(done: lines.first == "done",
                              message: lines.count > 1 ? String(lines[1]).trimmingASCIIWhitespace() : "")
            }
            usleep(100_000)
        } while WallClock.monotonic() < deadline
        return nil
    }
}
