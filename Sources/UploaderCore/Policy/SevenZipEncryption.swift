/// A 7z with a password: an AES-256 coder (06 F1 07 01) in a folder of the archive's header. With
/// encrypted file names (`-mhe=on`) the header itself is encoded with AES; otherwise it is usually
/// LZMA-compressed (7-Zip's default) and is decompressed (`LZMADecoder`, at most
/// `maxUnpackedHeader` bytes) to find the AES coder on the data. Reads the 32-byte start header and
/// the next header (at most `maxHeaderRead` bytes, plus as much again for a packed header).
enum SevenZipEncryption {
    static let signature: [UInt8] = [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]
    static let aesCoder: [UInt8] = [0x06, 0xF1, 0x07, 0x01]
    static let lzmaCoder: [UInt8] = [0x03, 0x01, 0x01]
    static let maxHeaderRead = 1 << 20
    static let maxUnpackedHeader = 16 << 20

    static func applies(_ head: [UInt8]) -> Bool { head.has(signature, at: 0) }

    static func isEncrypted(head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Bool {
        guard head.count >= 32, let offset64 = head.le64(at: 12), let size64 = head.le64(at: 20),
              let offset = Int64(fitting: offset64), size64 > 0, size64 <= UInt64(maxHeaderRead),
              offset <= bytes.size - 32 - Int64(size64) else { return false }
        let header = try bytes.read(at: 32 + offset, count: Int(size64))
        var reader = SevenZipReader(bytes: header)
        switch reader.byte() {
        case 0x01:
            return reader.headerFolders()?.contains(where: hasAES) ?? false
        case 0x17:
            guard let streams = reader.streamsInfo() else { return false }
            if streams.folders.contains(where: hasAES) { return true }
            guard let decoded = try unpackHeader(streams, bytes: bytes) else { return false }
            var inner = SevenZipReader(bytes: decoded)
            guard inner.byte() == 0x01 else { return false }
            return inner.headerFolders()?.contains(where: hasAES) ?? false
        default:
            return false
        }
    }

    static func hasAES(_ folder: SevenZipReader.Folder) -> Bool {
        folder.coders.contains { $0.id == aesCoder }
    }

    /// An encoded header packed with LZMA alone (what 7-Zip writes), decompressed.
    static func unpackHeader(_ streams: SevenZipReader.StreamsInfo, bytes: some EvidenceBytes) throws(EvidenceError) -> [UInt8]? {
        guard streams.folders.count == 1, let coder = streams.folders[0].coders.first,
              streams.folders[0].coders.count == 1, coder.id == lzmaCoder,
              let packSize = streams.packSizes.first, packSize <= UInt64(maxHeaderRead),
              let unpackSize = streams.unpackSizes.first, unpackSize <= UInt64(maxUnpackedHeader),
              let packPos = Int64(fitting: streams.packPosition),
              packPos <= bytes.size - 32 - Int64(packSize) else { return nil }
        let packed = try bytes.read(at: 32 + packPos, count: Int(packSize))
        return LZMADecoder.decode(packed, properties: coder.properties, unpackSize: Int(unpackSize))
    }
}

/// A bounds-checked reader of 7z header structures. Every count is capped; nil on anything
/// malformed or truncated.
struct SevenZipReader {
    struct Coder: Equatable {
        var id: [UInt8]
        var properties: [UInt8]
        var inStreams: Int
        var outStreams: Int
    }

    struct Folder: Equatable {
        var coders: [Coder]
        var outStreams: Int { coders.reduce(0) { $0 + $1.outStreams } }
    }

    struct StreamsInfo {
        var packPosition: UInt64 = 0
        var packSizes: [UInt64] = []
        var folders: [Folder] = []
        var unpackSizes: [UInt64] = []
    }

    let bytes: [UInt8]
    var position = 0
    static let maxCount: UInt64 = 1 << 16

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= bytes.count - position else { return nil }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// 7z's NUMBER: the leading one bits of the first byte say how many bytes follow.
    mutating func number() -> UInt64? {
        guard let first = byte() else { return nil }
        var mask: UInt8 = 0x80
        var value: UInt64 = 0
        for i in 0..<8 {
            if first & mask == 0 {
                let high = UInt64(first & (mask &- 1))
                return value | high << UInt64(8 * i)
            }
            guard let next = byte() else { return nil }
            value |= UInt64(next) << UInt64(8 * i)
            mask >>= 1
        }
        return value
    }

    mutating func count(max: UInt64 = maxCount) -> Int? {
        guard let n = number(), n <= max else { return nil }
        return Int(n)
    }

    /// After kHeader: the folders of the additional and main streams (enough to find a coder).
    mutating func headerFolders() -> [Folder]? {
        var folders: [Folder] = []
        for _ in 0..<8 {
            guard let id = number() else { return nil }
            switch id {
            case 0x02:  // archive properties
                for _ in 0..<64 {
                    guard let type = number() else { return nil }
                    if type == 0 { break }
                    guard let size = count(max: UInt64(bytes.count)), take(size) != nil else { return nil }
                }
            case 0x03:  // additional streams
                guard let info = streamsInfo() else { return nil }
                folders += info.folders
            case 0x04:  // main streams
                guard let info = streamsInfo() else { return nil }
                return folders + info.folders
            default:
                return folders
            }
        }
        return folders
    }

    mutating func streamsInfo() -> StreamsInfo? {
        var info = StreamsInfo()
        for _ in 0..<4 {
            guard let id = number() else { return nil }
            switch id {
            case 0x00:
                return info
            case 0x06:
                guard let position = number(), let streams = count() else { return nil }
                info.packPosition = position
                guard skipPackDetails(streams, sizes: &info.packSizes) else { return nil }
            case 0x07:
                guard number() == 0x0B, let folderCount = count(), byte() == 0 else { return nil }
                for _ in 0..<folderCount {
                    guard let folder = folder() else { return nil }
                    info.folders.append(folder)
                }
                guard number() == 0x0C else { return nil }
                for folder in info.folders {
                    for _ in 0..<folder.outStreams {
                        guard let size = number() else { return nil }
                        info.unpackSizes.append(size)
                    }
                }
                guard skipDigestsUntilEnd(folderCount) else { return nil }
            default:
                return info  // substreams and beyond: the folders are known
            }
        }
        return info
    }

    private mutating func skipPackDetails(_ streams: Int, sizes: inout [UInt64]) -> Bool {
        for _ in 0..<4 {
            guard let id = number() else { return false }
            switch id {
            case 0x00: return true
            case 0x09:
                for _ in 0..<streams {
                    guard let size = number() else { return false }
                    sizes.append(size)
                }
            case 0x0A:
                guard skipDigests(streams) else { return false }
            default: return false
            }
        }
        return false
    }

    private mutating func skipDigestsUntilEnd(_ count: Int) -> Bool {
        for _ in 0..<4 {
            guard let id = number() else { return false }
            if id == 0x00 { return true }
            guard id == 0x0A, skipDigests(count) else { return false }
        }
        return false
    }

    private mutating func skipDigests(_ count: Int) -> Bool {
        guard let allDefined = byte() else { return false }
        var defined = count
        if allDefined == 0 {
            guard let bits = take((count + 7) / 8) else { return false }
            defined = (0..<count).filter { bits[$0 / 8] & (0x80 >> UInt8($0 % 8)) != 0 }.count
        }
        return take(4 * defined) != nil
    }

    mutating func folder() -> Folder? {
        guard let coderCount = count(max: 64), coderCount > 0 else { return nil }
        var coders: [Coder] = []
        for _ in 0..<coderCount {
            guard let flags = byte(), flags & 0x80 == 0, let id = take(Int(flags & 0x0F)) else { return nil }
            var inStreams = 1
            var outStreams = 1
            if flags & 0x10 != 0 {
                guard let i = count(max: 64), let o = count(max: 64) else { return nil }
                inStreams = i
                outStreams = o
            }
            var properties: [UInt8] = []
            if flags & 0x20 != 0 {
                guard let size = count(max: UInt64(bytes.count)), let props = take(size) else { return nil }
                properties = props
            }
            coders.append(Coder(id: id, properties: properties, inStreams: inStreams, outStreams: outStreams))
        }
        let totalIn = coders.reduce(0) { $0 + $1.inStreams }
        let totalOut = coders.reduce(0) { $0 + $1.outStreams }
        guard totalOut >= 1 else { return nil }
        let bindPairs = totalOut - 1
        for _ in 0..<bindPairs {
            guard number() != nil, number() != nil else { return nil }
        }
        let packed = totalIn - bindPairs
        guard packed >= 1 else { return nil }
        if packed > 1 {
            for _ in 0..<packed { guard number() != nil else { return nil } }
        }
        return Folder(coders: coders)
    }
}
