#if canImport(Glibc)
import Glibc
#endif

/// Requests from the command line to the running daemon (`retry`), as small files in
/// `<state>/requests/`: written atomically by the command, read and removed by the daemon.
public enum ControlRequests {
    public enum Request: Sendable, Equatable {
        case retry(UInt64)
        case retryFailed
    }

    static func folder(_ stateDirectory: String) -> String { stateDirectory + "/requests" }

    public static func submit(_ request: Request, stateDirectory: String) throws(EvidenceError) {
        let folder = folder(stateDirectory)
        if mkdir(folder, 0o770) != 0 && errno != EEXIST {
            throw EvidenceError(.system, "cannot create \(folder.debugQuoted)", cause: SystemCallError(operation: "mkdir", path: folder, errno: errno))
        }
        let name: String
        switch request {
        case let .retry(id): name = "retry-\(id)"
        case .retryFailed: name = "retry-failed"
        }
        do {
            try AtomicFile.write([], to: folder + "/" + name, mode: 0o660)
        } catch {
            throw EvidenceError(.system, "cannot write the request", cause: error)
        }
    }

    /// Takes (reads and removes) the pending requests.
    static func take(stateDirectory: String) -> [Request] {
        let folder = folder(stateDirectory)
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var requests: [Request] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "retry-failed" {
                requests.append(.retryFailed)
            } else if name.hasPrefix("retry-"), let id = UInt64(name.dropFirst(6)) {
                requests.append(.retry(id))
            } else {
                continue
            }
            unlink(folder + "/" + name)
        }
        return requests
    }
}
