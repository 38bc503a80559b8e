import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// Makes everything written so far in the file systems holding some folders durable: one
/// `syncfs` per file system, however many files were written and renamed there. This is how many
/// moves into `uploaded/` (each a receipt written and two renames) become durable with one call
/// instead of two `fsync`s each; the journal records them only after it (`Journal.settle`).
package struct FileSystemSync: Sendable {
    package let folders: [String]

    package init(folders: [String]) {
        self.folders = folders
    }

    /// Syncs each file system once. The first failure (a folder that cannot be opened, an I/O
    /// error), after which nothing written there may be relied on.
    package func sync() -> SystemCallError? {
        var synced: Set<UInt64> = []
        for folder in folders {
            let fd: Int32
            do {
                fd = try syscall("open folder", path: folder) { open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            } catch {
                return error
            }
            defer { close(fd) }
            var st = stat()
            if fstat(fd, &st) == 0, !synced.insert(UInt64(st.st_dev)).inserted { continue }
            do {
                try syscall("syncfs", path: folder) { evu_syncfs(fd) }
            } catch {
                return error
            }
        }
        return nil
    }
}
