import UploaderCore

/// Binary encoding of one record payload: `u8 type, u64 id`, then the type's fields in order
/// (strings as `u32 length + UTF-8`, integers little-endian). See docs/JOURNAL-FORMAT.md.
enum RecordCodec {
    static func encode(_ record: JournalRecord) -> [UInt8] {
        var w = PayloadWriter()
        w.u8(record.typeCode)
        w.u64(record.id)
        switch record {
        case let .discovered(_, path, device, inode, size, mtime, labels, fileType, endpoint, destinationName):
            w.string(path)
            w.u64(device)
            w.u64(inode)
            w.i64(size)
            w.i64(mtime)
            w.string(labels.centre)
            w.string(labels.candidate)
            w.string(labels.unit)
            w.string(fileType)
            w.string(endpoint)
            // Only when there is one: a journal of a config without destinations stays as it was.
            if !destinationName.isEmpty { w.string(destinationName) }
        case let .hashed(_, sha256): w.string(sha256)
        case let .created(_, url): w.string(url)
        case let .offset(_, offset): w.i64(offset)
        case .delivered: break
        case let .moved(_, destination): w.string(destination)
        case let .rejected(_, code, destination):
            w.string(code)
            w.string(destination)
        case let .abandoned(_, reason): w.string(reason)
        case let .compressionStarted(_, rung): w.string(rung)
        case let .compressed(_, c):
            w.string(c.workFile)
            w.i64(c.size)
            w.string(c.sha256)
            w.string(c.rung)
            w.i64(c.width)
            w.i64(c.height)
            w.i64(c.durationMillis)
            w.i64(c.originalWidth)
            w.i64(c.originalHeight)
            w.i64(c.originalDurationMillis)
        }
        return w.bytes
    }

    /// Decodes a whole payload; any bytes left over are an error. Never traps on any input.
    static func decode(_ payload: UnsafeRawBufferPointer) throws(PayloadError) -> JournalRecord {
        var r = PayloadReader(payload)
        let type = try r.u8()
        let id = try r.u64()
        let record: JournalRecord
        switch type {
        case 1:
            let path = try r.string()
            let device = try r.u64()
            let inode = try r.u64()
            let size = try r.i64()
            let mtime = try r.i64()
            let centre = try r.string()
            let candidate = try r.string()
            let unit = try r.string()
            let fileType = try r.string()
            let endpoint = try r.string()
            var destinationName = ""
            if r.remaining > 0 {
                destinationName = try r.string()
                // The writer leaves an empty name out, so a present one is never empty: one
                // record, one encoding.
                if destinationName.isEmpty { throw .notCanonical }
            }
            record = .discovered(id: id, relativePath: path, device: device, inode: inode, size: size, mtimeNanos: mtime,
                                 labels: EvidenceLabels(centre: centre, candidate: candidate, unit: unit),
                                 fileType: fileType, endpoint: endpoint, destinationName: destinationName)
        case 2: record = .hashed(id: id, sha256: try r.string())
        case 3: record = .created(id: id, uploadURL: try r.string())
        case 4: record = .offset(id: id, offset: try r.i64())
        case 5: record = .delivered(id: id)
        case 6: record = .moved(id: id, destination: try r.string())
        case 7:
            let code = try r.string()
            record = .rejected(id: id, code: code, destination: try r.string())
        case 8: record = .abandoned(id: id, reason: try r.string())
        case 9: record = .compressionStarted(id: id, rung: try r.string())
        case 10:
            let workFile = try r.string()
            let size = try r.i64()
            let sha256 = try r.string()
            let rung = try r.string()
            let width = try r.i64()
            let height = try r.i64()
            let duration = try r.i64()
            let originalWidth = try r.i64()
            let originalHeight = try r.i64()
            let originalDuration = try r.i64()
            record = .compressed(id: id, copy: CompressedCopy(
                workFile: workFile, size: size, sha256: sha256, rung: rung, width: width, height: height, durationMillis: duration,
                originalWidth: originalWidth, originalHeight: originalHeight, originalDurationMillis: originalDuration))
        default: throw .unknownType(type)
        }
        guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
        return record
    }

    static func decode(_ payload: [UInt8]) throws(PayloadError) -> JournalRecord {
        let result = payload.withUnsafeBytes { buffer in
            Result { () throws(PayloadError) -> JournalRecord in try decode(buffer) }
        }
        return try result.get()
    }
}
