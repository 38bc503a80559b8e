// Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef EVIDENCE_CLINUXSHIM_H
#define EVIDENCE_CLINUXSHIM_H

/// renameat2(..., RENAME_NOREPLACE): fails with EEXIST instead of replacing the target.
int evu_rename_noreplace(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);



/// Takes and at once releases a read lease (F_SETLEASE): fails with EAGAIN while any other
/// process has the file open for writing. 0 on success, -1 with errno set.
int evu_probe_read_lease(int fd);
#endif
