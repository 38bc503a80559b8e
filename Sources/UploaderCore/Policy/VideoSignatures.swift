/// Recognising video containers by their first bytes. Every check is bounds-safe on heads of any
/// length, including empty ones.
enum VideoSignatures {
    static func container(of head: [UInt8]) -> VideoContainer? {
        if let iso = isoBaseMedia(head), case .video(let container) = iso { return container }
        if isAVI(head) { return .avi }
        if let ebml = ebml(head) { return ebml }
        if isASF(head) { return .asf }
        if isMPEGTransportStream(head) { return .mpegTS }
        if isMPEGProgramStream(head) { return .mpegPS }
        if isLegacyQuickTime(head) { return .quicktime }
        return nil
    }

    // MARK: ISO base media (MP4, MOV, 3GP) and its non-video cousins

    /// ISO-BMFF brands that are not video: still images (HEIF/AVIF from phones) and audio-only MP4.
    static let nonVideoBrands: [String: String] = [
        "heic": "image/heic", "heix": "image/heic", "heim": "image/heic", "heis": "image/heic",
        "hevc": "image/heic-sequence", "hevx": "image/heic-sequence",
        "mif1": "image/heif", "msf1": "image/heif-sequence",
        "avif": "image/avif", "avis": "image/avif",
        "M4A ": "audio/mp4", "M4B ": "audio/mp4", "M4P ": "audio/mp4", "F4A ": "audio/mp4",
        "crx ": "image/x-canon-cr3",
    ]

    /// An `ftyp` box at offset 4: the major brand decides what it is.
    static func isoBaseMedia(_ head: [UInt8]) -> ContentKind? {
        guard head.has(ascii: "ftyp", at: 4), let brand = head.fourCC(at: 8) else { return nil }
        if let mime = nonVideoBrands[brand] { return .document(mimeType: mime) }
        if brand == "qt  " { return .video(.quicktime) }
        if brand.hasPrefix("3gp") || brand.hasPrefix("3g2") { return .video(.threeGPP) }
        return .video(.mp4)
    }

    /// QuickTime files from older cameras and editors that start without an `ftyp` box, straight
    /// with a movie or media-data atom, or with a small padding atom followed by one of those.
    static func isLegacyQuickTime(_ head: [UInt8]) -> Bool {
        var offset = 0
        for _ in 0..<4 {
            guard let type = head.fourCC(at: offset + 4), let size = atomSize(head, at: offset) else { return false }
            switch type {
            case "moov", "mdat": return size == 1 || size >= 8  // 1 = a 64-bit size follows
            case "wide", "free", "skip", "pnot":
                guard size >= 8, size <= 4096 else { return false }
                offset += size
            default: return false
            }
        }
        return false
    }

    private static func atomSize(_ head: [UInt8], at offset: Int) -> Int? {
        guard offset >= 0, head.count - offset >= 4 else { return nil }
        return Int(head[offset]) << 24 | Int(head[offset + 1]) << 16 | Int(head[offset + 2]) << 8 | Int(head[offset + 3])
    }

    // MARK: AVI

    static func isAVI(_ head: [UInt8]) -> Bool {
        head.has(ascii: "RIFF", at: 0) && head.has(ascii: "AVI ", at: 8)
    }

    // MARK: Matroska / WebM

    static let ebmlMagic: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3]

    /// EBML header: `webm` DocType -> WebM, anything else (or a DocType beyond the head) -> Matroska.
    static func ebml(_ head: [UInt8]) -> VideoContainer? {
        guard head.has(ebmlMagic, at: 0) else { return nil }
        var reader = EBMLReader(bytes: head, position: 4)
        guard let headerSize = reader.readSize() else { return .matroska }
        let end = headerSize.map { min(head.count, reader.position + $0) } ?? head.count
        while reader.position < end {
            guard let id = reader.readID(), let size = reader.readSize() else { break }
            guard let size else { break }  // unknown size inside the header: give up
            if id == 0x4282 {  // DocType
                guard let docType = reader.readString(size) else { break }
                return docType == "webm" ? .webm : .matroska
            }
            guard reader.skip(size) else { break }
        }
        return .matroska
    }

    // MARK: ASF (WMV, WMA)

    static let asfHeaderGUID: [UInt8] = [
        0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
    ]

    static func isASF(_ head: [UInt8]) -> Bool { head.has(asfHeaderGUID, at: 0) }

    // MARK: MPEG

    /// 0x47 sync bytes every 188 bytes (TS) or at 4 + every 192 bytes (M2TS/MTS from camcorders),
    /// at every packet start the head holds, and at least two packets.
    static func isMPEGTransportStream(_ head: [UInt8]) -> Bool {
        syncBytes(head, first: 0, stride: 188) || syncBytes(head, first: 4, stride: 192)
    }

    private static func syncBytes(_ head: [UInt8], first: Int, stride packet: Int) -> Bool {
        guard head.count > first + packet else { return false }
        for offset in Swift.stride(from: first, to: head.count, by: packet) where head[offset] != 0x47 {
            return false
        }
        return true
    }

    /// An MPEG program stream pack header (VOB, MPG from DVD recorders and older cameras).
    static func isMPEGProgramStream(_ head: [UInt8]) -> Bool {
        head.has([0x00, 0x00, 0x01, 0xBA], at: 0)
    }
}

/// Minimal, bounds-checked reader for EBML variable-length integers.
struct EBMLReader {
    let bytes: [UInt8]
    var position: Int

    /// Length of a vint from its first byte (1...8), or nil for 0x00.
    private func vintLength(_ first: UInt8) -> Int? {
        guard first != 0 else { return nil }
        return first.leadingZeroBitCount + 1
    }

    /// An element ID, marker bits kept (0x4282 for DocType).
    mutating func readID() -> UInt64? {
        guard position < bytes.count, let length = vintLength(bytes[position]), length <= 4,
              bytes.count - position >= length else { return nil }
        var value: UInt64 = 0
        for i in 0..<length { value = value << 8 | UInt64(bytes[position + i]) }
        position += length
        return value
    }

    /// A data size: `.some(nil)` is the reserved "unknown size", nil is malformed or truncated.
    mutating func readSize() -> Int?? {
        guard position < bytes.count, let length = vintLength(bytes[position]),
              bytes.count - position >= length else { return nil }
        var value = UInt64(bytes[position]) & (0xFF >> UInt64(length))
        var allOnes = value == (0xFF >> UInt64(length))
        for i in 1..<length {
            let byte = bytes[position + i]
            allOnes = allOnes && byte == 0xFF
            value = value << 8 | UInt64(byte)
        }
        position += length
        if allOnes { return .some(nil) }
        guard value <= UInt64(Int32.max) else { return nil }
        return .some(Int(value))
    }

    mutating func readString(_ size: Int) -> String? {
        guard size >= 0, bytes.count - position >= size else { return nil }
        let raw = bytes[position..<position + size].prefix { $0 != 0 }
        position += size
        return String(decoding: raw, as: UTF8.self)
    }

    mutating func skip(_ size: Int) -> Bool {
        guard size >= 0, bytes.count - position >= size else { return false }
        position += size
        return true
    }
}
