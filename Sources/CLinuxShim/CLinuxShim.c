#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <malloc.h>
#include "CLinuxShim.h"

int evu_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int evu_syncfs(int fd) {
    return syncfs(fd);
}

int evu_probe_read_lease(int fd) {
    if (fcntl(fd, F_SETLEASE, F_RDLCK) != 0) return -1;
    fcntl(fd, F_SETLEASE, F_UNLCK);
    return 0;
}

#define EVU_IOPRIO_CLASS_IDLE 3
#define EVU_IOPRIO_CLASS_SHIFT 13
#define EVU_IOPRIO_WHO_PROCESS 1

int evu_spawn_limited(const char *path, char *const argv[], char *const envp[], int evidence_fd,
                      int stdout_fd, int stderr_fd, int niceness, long cpu_seconds, pid_t *pid_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(report[0]);
        close(report[1]);
        return err;
    }
    if (pid == 0) {
        /* The child of a threaded process: only async-signal-safe calls until exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int in = open("/dev/null", O_RDONLY);
        int e = fcntl(evidence_fd, F_DUPFD, 10);
        int o = fcntl(stdout_fd, F_DUPFD, 10);
        int r = fcntl(stderr_fd, F_DUPFD, 10);
        int err = 0;
        if (in < 0 || e < 0 || o < 0 || r < 0) err = errno;
        if (!err && (dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(r, 2) < 0 || dup2(e, 3) < 0)) err = errno;
        if (!err) {
            /* Everything above 3 except the report pipe (close-on-exec) goes. */
            int keep = report[1];
            for (int fd = 4; fd < 1024; fd++) {
                if (fd != keep) close(fd);
            }
            syscall(SYS_close_range, 1024, ~0U, 0);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            setpriority(PRIO_PROCESS, 0, niceness);
            syscall(SYS_ioprio_set, EVU_IOPRIO_WHO_PROCESS, 0, EVU_IOPRIO_CLASS_IDLE << EVU_IOPRIO_CLASS_SHIFT);
            if (cpu_seconds > 0) {
                struct rlimit limit = { (rlim_t)cpu_seconds, (rlim_t)cpu_seconds + 5 };
                setrlimit(RLIMIT_CPU, &limit);
            }
            execve(path, argv, envp);
            err = errno;
        }
        ssize_t ignored = write(report[1], &err, sizeof err);
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int child_err = 0;
    ssize_t n;
    do { n = read(report[0], &child_err, sizeof child_err); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_err) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return child_err ? child_err : ENOEXEC;
    }
    *pid_out = pid;
    return 0;
}

int evu_malloc_tune(int mmap_threshold, int arenas) {
    int ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    ok &= mallopt(M_ARENA_MAX, arenas);
    return ok ? 0 : -1;
}

int evu_malloc_trim(void) {
    return malloc_trim(0);
}
