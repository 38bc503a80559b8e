/// Whether a video is whole enough to play, from its structure alone (no decoding):
/// - MP4/MOV/3GP: the top-level boxes walked by their sizes (32-bit, 64-bit `largesize`, 0 = to
///   the end): none may run past the end of the file, and `moov` (the index) and `mdat` (the media)
///   must both be there. 16 bytes read per box, at most `maxBoxes` boxes.
/// - Matroska/WebM: the EBML header, then a Segment whose declared size (unless "unknown", as a
///   live recording writes) fits in the file. Reads 4 KiB.
/// - AVI: each top-level RIFF chunk (OpenDML files over 1 GB have several) must fit in the file.
///   12 bytes per chunk, at most `maxChunks`.
/// Other containers (ASF, MPEG) are not judged. A structure too long to walk is given the benefit
/// of the doubt.
enum VideoCompleteness {
    static let maxBoxes = 100_000
    static let maxChunks = 1_000

    static func damage(_ container: VideoContainer, bytes: some EvidenceBytes) throws(EvidenceError) -> VideoDamage? {
        switch container {
        case .mp4, .quicktime, .threeGPP: return try isoBaseMedia(bytes)
        case .matroska, .webm: return try matroska(bytes)
        case .avi: return try avi(bytes)
        case .asf, .mpegTS, .mpegPS: return nil
        }
    }

    static func isoBaseMedia(_ bytes: some EvidenceBytes) throws(EvidenceError) -> VideoDamage? {
        let size = bytes.size
        var offset: Int64 = 0
        var sawIndex = false
        var sawMedia = false
        for _ in 0..<maxBoxes {
            guard offset < size else { break }
            let header = try bytes.read(at: offset, count: 16)
            // Fewer than 8 bytes left: trailing padding, not a box.
            guard header.count >= 8, let size32 = header.be32(at: 0), let type = header.fourCC(at: 4) else { break }
            let boxSize: Int64
            switch size32 {
            case 0:
                boxSize = size - offset
            case 1:
                guard let large = header.be64(at: 8) else { return .cutShort(part: type) }
                guard large >= 16, let fitting = Int64(fitting: large) else { return .brokenStructure }
                boxSize = fitting
            case 2..<8:
                // Not a box: damage unless everything needed was already seen (trailing bytes).
                return sawIndex && sawMedia ? nil : .brokenStructure
            default:
                boxSize = Int64(size32)
            }
            if type == "moov" { sawIndex = true }
            if type == "mdat" { sawMedia = true }
            if boxSize > size - offset { return .cutShort(part: type) }
            offset += boxSize
        }
        if offset < size { return nil }  // more boxes than walked: not judged
        if !sawIndex { return .missingIndex }
        if !sawMedia { return .missingMediaData }
        return nil
    }

    static let segmentID: UInt64 = 0x1853_8067
    static let voidID: UInt64 = 0xEC
    static let crcID: UInt64 = 0xBF

    static func matroska(_ bytes: some EvidenceBytes) throws(EvidenceError) -> VideoDamage? {
        let window = try bytes.read(at: 0, count: 4096)
        let whole = Int64(window.count) == bytes.size  // the window holds the whole file
        var reader = EBMLVintReader(bytes: window, position: 0)
        guard reader.id() == 0x1A45_DFA3, let headerSize = reader.size() else {
            return whole ? .cutShort(part: "EBML header") : .brokenStructure
        }
        guard let headerLength = headerSize, headerLength <= UInt64(window.count - reader.position) else {
            return whole ? .cutShort(part: "EBML header") : .brokenStructure
        }
        reader.position += Int(headerLength)
        for _ in 0..<16 {
            // The file ends after the header: the recording stopped before it began.
            guard reader.position < window.count else { return whole ? .missingSegment : nil }
            guard let id = reader.id(), let elementSize = reader.size() else {
                return whole ? .cutShort(part: "Segment") : .missingSegment
            }
            if id == segmentID {
                guard let declared = elementSize else { return nil }  // unknown size: a live recording
                let remaining = UInt64(bytes.size - Int64(reader.position))
                return declared > remaining ? .cutShort(part: "Segment") : nil
            }
            guard id == voidID || id == crcID, let skip = elementSize, skip <= UInt64(window.count) else {
                return .missingSegment
            }
            reader.position += Int(skip)
        }
        return .missingSegment
    }

    static func avi(_ bytes: some EvidenceBytes) throws(EvidenceError) -> VideoDamage? {
        var offset: Int64 = 0
        for index in 0..<maxChunks {
            guard offset <= bytes.size - 8 else { return nil }
            let header = try bytes.read(at: offset, count: 12)
            guard header.has(ascii: "RIFF", at: 0), let chunkSize = header.le32(at: 4) else {
                return index == 0 ? .brokenStructure : nil  // trailing bytes after the RIFF chunks
            }
            let end = offset + 8 + Int64(chunkSize)
            if end > bytes.size { return .cutShort(part: "RIFF") }
            offset = end + Int64(chunkSize & 1)
        }
        return nil
    }
}

/// EBML variable-length integers with the full 64-bit range (a Segment's size can exceed 4 GB).
struct EBMLVintReader {
    let bytes: [UInt8]
    var position: Int

    /// An element ID (1 to 4 bytes), marker bits kept.
    mutating func id() -> UInt64? {
        guard position >= 0, position < bytes.count, bytes[position] != 0 else { return nil }
        let length = bytes[position].leadingZeroBitCount + 1
        guard length <= 4, bytes.count - position >= length else { return nil }
        var value: UInt64 = 0
        for i in 0..<length { value = value << 8 | UInt64(bytes[position + i]) }
        position += length
        return value
    }

    /// A data size: `.some(nil)` is the reserved "unknown size", nil is malformed or truncated.
    mutating func size() -> UInt64?? {
        guard position >= 0, position < bytes.count, bytes[position] != 0 else { return nil }
        let length = bytes[position].leadingZeroBitCount + 1
        guard bytes.count - position >= length else { return nil }
        var value = UInt64(bytes[position]) & (0xFF >> UInt64(length))
        var allOnes = value == (0xFF >> UInt64(length))
        for i in 1..<length {
            let byte = bytes[position + i]
            allOnes = allOnes && byte == 0xFF
            value = value << 8 | UInt64(byte)
        }
        position += length
        return allOnes ? .some(nil) : .some(value)
    }
}
