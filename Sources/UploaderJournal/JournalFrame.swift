/// The framing of the journal file: a 12-byte header (`"EVUJRNL\0"`, `u32` version), then frames
/// of `u32 length LE, u32 CRC32(length bytes + payload) LE, payload`.
enum JournalFrame {
    static let magic: [UInt8] = Array("EVUJRNL".utf8) + [0]
    static let version: UInt32 = 1
    static let headerSize = 12
    static let overhead = 8
    static let maxPayload = 1 << 20

    static var header: [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: version.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The frame for one payload.
    static func encode(payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8]()
        frame.reserveCapacity(overhead + payload.count)
        let length = UInt32(payload.count).littleEndian
        withUnsafeBytes(of: length) { frame.append(contentsOf: $0) }
        var crc = withUnsafeBytes(of: length) { CRC32.checksum($0) }
        crc = payload.withUnsafeBytes { CRC32.update(crc, $0) }
        withUnsafeBytes(of: crc.littleEndian) { frame.append(contentsOf: $0) }
        frame.append(contentsOf: payload)
        return frame
    }

    static func encode(_ record: JournalRecord) -> [UInt8] {
        encode(payload: RecordCodec.encode(record))
    }

    enum Attempt {
        /// A whole frame whose CRC matches and whose payload decodes; `end` is the offset after it.
        case valid(JournalRecord, end: Int)
        /// Not enough bytes left for the frame its length announces.
        case incomplete
        /// A length over the limit, a CRC mismatch, or a payload that does not decode.
        case invalid
    }

    /// Tries to read one frame at `offset` of `buffer`. Never traps on any bytes.
    static func attempt(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> Attempt {
        guard offset >= 0, buffer.count - offset >= overhead else { return .incomplete }
        let length = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard length <= maxPayload else { return .invalid }
        guard buffer.count - offset - overhead >= length else { return .incomplete }
        let stored = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        var crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 4)]))
        let payload = UnsafeRawBufferPointer(rebasing: buffer[(offset + overhead)..<(offset + overhead + length)])
        crc = CRC32.update(crc, payload)
        guard crc == stored else { return .invalid }
        do {
            let record = try RecordCodec.decode(payload)
            return .valid(record, end: offset + overhead + length)
        } catch {
            return .invalid
        }
    }
}
