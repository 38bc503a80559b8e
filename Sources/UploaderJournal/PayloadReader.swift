/// Why a payload could not be decoded. Never fatal: the frame is treated as damaged.
enum PayloadError: Error, Equatable {
    case truncated
    case invalidUTF8
    case unknownType(UInt8)
    case trailingBytes(Int)
    /// Bytes the writer never produces for any record (an optional field present but empty).
    case notCanonical
}

/// Reads little-endian integers and length-prefixed UTF-8 strings from a payload, bounds-checked.
struct PayloadReader {
    let buffer: UnsafeRawBufferPointer
    var position = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - position }

    mutating func u8() throws(PayloadError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { position += 1 }
        return buffer[position]
    }

    mutating func u32() throws(PayloadError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated }
        defer { position += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func u64() throws(PayloadError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated }
        defer { position += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    mutating func i64() throws(PayloadError) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func string() throws(PayloadError) -> String {
        let length = Int(try u32())
        guard length <= remaining else { throw .truncated }
        let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<(position + length)])
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8 }
        position += length
        return text
    }
}
