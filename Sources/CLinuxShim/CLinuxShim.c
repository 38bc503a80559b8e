#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>
#include "CLinuxShim.h"

int evu_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, RENAME_NOREPLACE);
}

int evu_probe_read_lease(int fd) {
    if (fcntl(fd, F_SETLEASE, F_RDLCK) != 0) return -1;
    fcntl(fd, F_SETLEASE, F_UNLCK);
    return 0;
}
