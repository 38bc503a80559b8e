import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The Linux calls Swift cannot make itself, through the small C shim (`CLinuxShim`). This module
/// is the only one that imports the shim; the rest of the uploader calls these.
package enum LinuxCalls {
    /// rename(2) that never replaces the target (`renameat2(RENAME_NOREPLACE)`): 0, or the errno
    /// (`EEXIST` when the target exists, `EXDEV` across file systems).
    package static func renameNoReplace(_ source: String, to target: String) -> Int32 {
        evu_rename_noreplace(AT_FDCWD, source, AT_FDCWD, target) == 0 ? 0 : errno
    }

    /// Whether another process has `fd`'s file open for writing: a read lease cannot be taken
    /// then. Where leases are not available (not the owner, network file systems) this says
    /// false, and the settle time alone decides.
    package static func isOpenForWritingElsewhere(_ fd: Int32) -> Bool {
        if evu_probe_read_lease(fd) == 0 { return false }
        return errno == EAGAIN || errno == EBUSY
    }

    /// Starts `argv[0]` as a child at `niceness`, in the idle I/O class, with a CPU limit, killed
    /// if the daemon dies: `evidenceFD` becomes its descriptor 3, `stdoutFD` and `stderrFD` its 1
    /// and 2, stdin /dev/null, nothing else open. The child's pid, or the errno of fork or exec.
    package static func spawnLimited(_ argv: [String], environment: [String], evidenceFD: Int32, stdoutFD: Int32,
                                     stderrFD: Int32, niceness: Int32, cpuSeconds: Int) -> Result<pid_t, SystemCallError> {
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var cEnv = environment.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = evu_spawn_limited(argv[0], &cArgs, &cEnv, evidenceFD, stdoutFD, stderrFD, niceness, cpuSeconds, &pid)
        guard spawned == 0 else { return .failure(SystemCallError(operation: "exec", path: argv[0], errno: spawned)) }
        return .success(pid)
    }

    /// For the long-running daemon: allocations of 128 KiB or more are mapped and given back when
    /// freed (the status file and page of a long queue are megabytes, rebuilt every few seconds),
    /// and at most two malloc arenas however many threads allocate (see bench/rss_queued.py).
    package static func tuneMallocForLongRun() {
        _ = evu_malloc_tune(128 << 10, 2)
    }

    /// Gives the heap's free pages back to the system, after a burst of work that left them free
    /// (admitting thousands of files at once).
    package static func trimMalloc() {
        _ = evu_malloc_trim()
    }
}
