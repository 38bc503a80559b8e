import Synchronization
import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// Hints from the kernel about what changed in the drop folder. The daemon treats them only
/// as hints: the files themselves are always re-examined through the drop folder's descriptor.
package enum WatchHint: Sendable, Equatable {
    /// A file was closed after writing, or moved in.
    case file(String)
    /// Look at everything again: a folder arrived, the queue overflowed, a watch failed.
    case rescan(String)
}

/// inotify over the drop folder and every folder below it, read on its own thread (never on
/// Swift's cooperative pool). Folders created or moved in get watches of their own; a queue
/// overflow or the watch limit leads to a full rescan, never to a missed file.
package final class InotifyWatcher: Sendable {
    private let root: String
    private let fd: Int32
    private let state = Mutex(State())
    /// The reading thread, from `start` to `shutdown`.
    private let thread = Mutex<OSThread?>(nil)
    private let stop = StopSignal()

    private struct State {
        var watches: [Int32: String] = [:]   // watch descriptor -> relative folder ("" = root)
        var hints: [WatchHint] = []
        var limitReached = false
    }

    private static let fileMask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

    package init(root: String) throws(EvidenceError) {
        self.root = root
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            throw EvidenceError(.system, "cannot start watching the drop folder",
                                cause: SystemCallError(operation: "inotify_init1", path: root, errno: errno))
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// True once the kernel's watch limit was hit: the caller should also poll.
    package var limitReached: Bool { state.withLock { $0.limitReached } }

    /// (Re)creates watches on `folders` (relative paths, "" for the root), dropping the rest.
    /// Returns how many watches are new: a file that arrived in a new folder before its watch
    /// existed is seen by neither, so the caller scans again when this is not 0.
    @discardableResult
    package func watch(folders: [String]) -> Int {
        state.withLock { state in
            var added = 0
            let wanted = Set(folders + [""])
            for (wd, path) in state.watches where !wanted.contains(path) {
                inotify_rm_watch(fd, wd)
                state.watches[wd] = nil
            }
            let have = Set(state.watches.values)
            for folder in wanted.sorted() where !have.contains(folder) {
                let full = folder.isEmpty ? root : root + "/" + folder
                let wd = inotify_add_watch(fd, full, Self.fileMask)
                if wd >= 0 {
                    if state.watches[wd] == nil { added += 1 }
                    state.watches[wd] = folder
                } else if errno == ENOSPC {
                    state.limitReached = true
                }
            }
            return added
        }
    }

    /// Takes the hints gathered since the last call.
    package func drain() -> [WatchHint] {
        state.withLock { state in
            defer { state.hints.removeAll(keepingCapacity: true) }
            return state.hints
        }
    }

    /// Starts reading on a thread of its own; throws when the system cannot make the thread.
    package func start(wake: @escaping @Sendable () -> Void) throws(EvidenceError) {
        let reader = try OSThread { [self] in self.readLoop(wake: wake) }
        thread.withLock { $0 = reader }
    }

    package func shutdown() {
        stop.raise()
        let reader = thread.withLock { thread -> OSThread? in
            defer { thread = nil }
            return thread
        }
        reader?.join()
    }

    private func readLoop(wake: @Sendable () -> Void) {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        while !stop.isRaised {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 200)
            if ready <= 0 { continue }
            let n = read(fd, buffer, bufferSize)
            if n <= 0 { continue }
            var hints: [WatchHint] = []
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= n {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = buffer + offset + MemoryLayout<inotify_event>.size
                let name = event.len > 0
                    ? String(decoding: UnsafeRawBufferPointer(start: nameStart, count: Int(event.len)).prefix(while: { $0 != 0 }), as: UTF8.self)
                    : ""
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
                hints.append(contentsOf: interpret(event, name: name))
            }
            if !hints.isEmpty {
                state.withLock { $0.hints.append(contentsOf: hints) }
                wake()
            }
        }
    }

    private func interpret(_ event: inotify_event, name: String) -> [WatchHint] {
        let mask = event.mask
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return [.rescan("the kernel's event queue overflowed")] }
        let folder = state.withLock { $0.watches[event.wd] }
        if mask & UInt32(IN_IGNORED) != 0 {
            state.withLock { _ = $0.watches.removeValue(forKey: event.wd) }
            return []
        }
        guard let folder else { return [] }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            return [.rescan(folder.isEmpty ? "the drop folder was moved or removed" : "a folder was moved or removed")]
        }
        let relative = folder.isEmpty ? name : folder + "/" + name
        if mask & UInt32(IN_ISDIR) != 0 {
            return [.rescan("a folder arrived: \(relative)")]
        }
        if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 {
            return [.file(relative)]
        }
        if mask & UInt32(IN_CREATE) != 0 {
            return [.file(relative)]  // seen early, so status can say "still being written"
        }
        return []
    }
}
