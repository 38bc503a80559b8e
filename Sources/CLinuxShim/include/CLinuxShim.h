// Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef EVIDENCE_CLINUXSHIM_H
#define EVIDENCE_CLINUXSHIM_H

/// renameat2(..., RENAME_NOREPLACE): fails with EEXIST instead of replacing the target.
int evu_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);



/// Takes and at once releases a read lease (F_SETLEASE): fails with EAGAIN while any other
/// process has the file open for writing. 0 on success, -1 with errno set.
int evu_probe_read_lease(int fd);

/// syncfs(2): writes out everything the file system holding `fd` has not yet put on disk. 0 on
/// success, -1 with errno set.
int evu_syncfs(int fd);

#include <sys/types.h>

/// Starts `path` (argv, envp) as a child with lowered priority, for work that must not slow the
/// daemon (ffmpeg): `evidence_fd` becomes the child's descriptor 3 (read it as /dev/fd/3),
/// `stdout_fd` and `stderr_fd` its 1 and 2, stdin /dev/null, every other descriptor closed.
/// The child runs at `niceness`, in the idle I/O class, with RLIMIT_CPU `cpu_seconds` (soft;
/// the hard limit a few seconds later kills it), and is killed if the daemon dies.
/// 0 and *pid_out on success; else the errno of fork or exec.
int evu_spawn_limited(const char *path, char *const argv[], char *const envp[], int evidence_fd,
                      int stdout_fd, int stderr_fd, int niceness, long cpu_seconds, pid_t *pid_out);
/// For the long-running daemon: allocations of `mmap_threshold` bytes or more are mapped and
/// unmapped (given back to the system when freed, not kept in the heap: the status file and
/// page of 10,000 items are megabytes, rebuilt every few seconds), and at most `arenas` malloc
/// arenas however many threads allocate. 0 when both settings were taken.
int evu_malloc_tune(int mmap_threshold, int arenas);
/// malloc_trim(0): gives the heap's free pages back to the system (after a burst of work that
/// left them free, such as admitting thousands of files at once). 1 if memory was released.
int evu_malloc_trim(void);

#endif
