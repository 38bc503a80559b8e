import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Hashes a range of an open file with `pread` through one reusable buffer: memory stays
/// constant whatever the file size. The buffer is made on first use, no larger than the range
/// (in pages): hashing a 100 kB file costs 100 kB, not the whole `bufferSize`.
package final class FileHasher {
    private let bufferSize: Int
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    package init(bufferSize: Int = 1 << 20) {
        self.bufferSize = bufferSize
    }

    deinit { buffer.deallocate() }

    private func buffer(for length: Int64) -> UnsafeMutableRawBufferPointer {
        let wanted = Int(min(Int64(bufferSize), max(4096, (length + 4095) / 4096 * 4096)))
        if buffer.count < wanted {
            buffer.deallocate()
            buffer = .allocate(byteCount: wanted, alignment: 4096)
        }
        return buffer
    }

    /// The digest of `length` bytes from `offset`. `progress` is called with the bytes hashed
    /// so far; return false from it to stop (throws a cancellation).
    package func digest(
        _ algorithm: Digest.Algorithm, fd: Int32, offset: Int64 = 0, length: Int64,
        path: String? = nil, progress: ((Int64) -> Bool)? = nil
    ) throws(EvidenceError) -> [UInt8] {
        var digest = Digest(algorithm)
        var done: Int64 = 0
        let buffer = buffer(for: length)
        while done < length {
            let want = Int(min(Int64(buffer.count), length - done))
            let got: Int
            do {
                got = try syscall("read", path: path) { pread(fd, buffer.baseAddress, want, off_t(offset + done)) }
            } catch {
                throw EvidenceError(.system, "could not read the file to hash it", cause: error)
            }
            if got == 0 {
                throw EvidenceError(.system, "the file became shorter while it was being hashed (\(offset + done) of \(offset + length) bytes)")
            }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            done += Int64(got)
            if let progress, !progress(done) {
                throw EvidenceError(.transfer, "hashing stopped")
            }
        }
        return digest.finish()
    }
}
