import CZlib

/// CRC-32 (zlib's, the IEEE polynomial) over the bytes of a journal frame. The only file that
/// imports zlib.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        let result = CZlib.crc32(UInt(crc), base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
        return UInt32(truncatingIfNeeded: result)
    }
}
