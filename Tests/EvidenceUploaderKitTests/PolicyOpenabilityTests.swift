@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig
@testable import UploaderCore

// Byte tables for the openability detectors (`OpenabilityPolicy`): each format built byte by byte,
// whole, encrypted or cut short, and hostile (sizes that overflow, loops, zero sizes).

enum Bytes {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func be32(_ v: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func be64(_ v: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(s.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }
}

/// A file of `size` bytes, zeros except where patched, that counts what is read from it: a
/// 2.5 GB video or archive without 2.5 GB of memory.
final class SparseBytes: EvidenceBytes, @unchecked Sendable {
    let size: Int64
    let patches: [(offset: Int64, bytes: [UInt8])]
    private(set) var bytesRead = 0

    init(size: Int64, _ patches: [(Int64, [UInt8])]) {
        self.size = size
        self.patches = patches.map { (offset: $0.0, bytes: $0.1) }
    }

    func read(at offset: Int64, count: Int) throws(EvidenceError) -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        let n = Int(min(Int64(count), size - offset))
        var out = [UInt8](repeating: 0, count: n)
        for patch in patches {
            for (i, byte) in patch.bytes.enumerated() {
                let at = patch.offset + Int64(i) - offset
                if at >= 0 && at < Int64(n) { out[Int(at)] = byte }
            }
        }
        bytesRead += n
        return out
    }
}

func encrypted(_ bytes: [UInt8]) throws -> EncryptedFormat? {
    try EncryptionDetector.encryptedFormat(head: Array(bytes.prefix(ContentSniffer.headLength)), bytes: InMemoryBytes(bytes))
}

// MARK: - ZIP

enum SampleZip {
    struct Entry { var name: String; var flags: Int; var localFlags: Int? = nil }

    /// Local headers (no data), the central directory, the end record; optionally ZIP64 end
    /// records, data before the archive (offsets not adjusted, as a self-extractor), a comment.
    static func make(_ entries: [Entry], zip64: Bool = false, prefix: [UInt8] = [], comment: [UInt8] = []) -> [UInt8] {
        var out = prefix
        var offsets: [Int] = []
        for e in entries {
            offsets.append(out.count - prefix.count)
            out += [0x50, 0x4B, 0x03, 0x04] + Bytes.le16(20) + Bytes.le16(e.localFlags ?? e.flags) + Bytes.le16(0)
                + Bytes.le32(0) + Bytes.le32(0) + Bytes.le32(0) + Bytes.le32(0) + Bytes.le16(e.name.utf8.count) + Bytes.le16(0)
                + Bytes.ascii(e.name)
        }
        let directoryStart = out.count - prefix.count
        var directory: [UInt8] = []
        for (e, offset) in zip(entries, offsets) {
            directory += [0x50, 0x4B, 0x01, 0x02] + Bytes.le16(20) + Bytes.le16(20) + Bytes.le16(e.flags) + Bytes.le16(0)
                + Bytes.le32(0) + Bytes.le32(0) + Bytes.le32(0) + Bytes.le32(0) + Bytes.le16(e.name.utf8.count)
                + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(0) + Bytes.le32(0) + Bytes.le32(offset)
                + Bytes.ascii(e.name)
        }
        out += directory
        if zip64 {
            let recordOffset = out.count - prefix.count
            out += [0x50, 0x4B, 0x06, 0x06] + Bytes.le64(44) + Bytes.le16(45) + Bytes.le16(45) + Bytes.le32(0) + Bytes.le32(0)
                + Bytes.le64(UInt64(entries.count)) + Bytes.le64(UInt64(entries.count))
                + Bytes.le64(UInt64(directory.count)) + Bytes.le64(UInt64(directoryStart))
            out += [0x50, 0x4B, 0x06, 0x07] + Bytes.le32(0) + Bytes.le64(UInt64(recordOffset)) + Bytes.le32(1)
            out += [0x50, 0x4B, 0x05, 0x06] + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(0xFFFF) + Bytes.le16(0xFFFF)
                + Bytes.le32(0xFFFF_FFFF) + Bytes.le32(0xFFFF_FFFF) + Bytes.le16(comment.count) + comment
        } else {
            out += [0x50, 0x4B, 0x05, 0x06] + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(entries.count) + Bytes.le16(entries.count)
                + Bytes.le32(directory.count) + Bytes.le32(directoryStart) + Bytes.le16(comment.count) + comment
        }
        return out
    }
}

@Test("ZIP encryption: local header, central directory, ZIP64, shifted offsets, hostile end records", arguments: [
    ("plain", SampleZip.make([.init(name: "a.txt", flags: 0), .init(name: "b.mp4", flags: 0x0808)]), false),
    ("first entry encrypted", SampleZip.make([.init(name: "a.txt", flags: 1)]), true),
    ("only the central directory says so", SampleZip.make([.init(name: "a.txt", flags: 0), .init(name: "b.txt", flags: 0x0009, localFlags: 0)]), true),
    ("a folder first, then an encrypted file", SampleZip.make([.init(name: "dir/", flags: 0), .init(name: "dir/x.pdf", flags: 1, localFlags: 0)]), true),
    ("ZIP64, second entry encrypted", SampleZip.make([.init(name: "a", flags: 0), .init(name: "b", flags: 1, localFlags: 0)], zip64: true), true),
    ("ZIP64 plain", SampleZip.make([.init(name: "a", flags: 0), .init(name: "b", flags: 0)], zip64: true), false),
    ("self-extractor prefix", SampleZip.make([.init(name: "a", flags: 0), .init(name: "b", flags: 1, localFlags: 0)], prefix: [UInt8](repeating: 0x4D, count: 300)), true),
    ("with a comment holding a fake end record", SampleZip.make([.init(name: "a", flags: 0), .init(name: "b", flags: 1, localFlags: 0)],
                                                                 comment: [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0xFF, count: 18)), true),
    ("cut before the central directory", Array(SampleZip.make([.init(name: "a", flags: 0), .init(name: "b", flags: 1, localFlags: 0)]).prefix(40)), false),
    ("empty archive (end record only)", [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18), false),
    ("directory size 4 GB and offset past the end", [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26)
        + [0x50, 0x4B, 0x05, 0x06] + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(1) + Bytes.le16(1) + Bytes.le32(0xFFFF_FFF0) + Bytes.le32(0x7FFF_FFFF) + Bytes.le16(0), false),
    ("ZIP64 locator pointing past the end", [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26)
        + [0x50, 0x4B, 0x06, 0x07] + Bytes.le32(0) + Bytes.le64(UInt64.max) + Bytes.le32(1)
        + [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0xFF, count: 16) + Bytes.le16(0), false),
])
func zipEncryption(name: String, bytes: [UInt8], expected: Bool) throws {
    // (The self-extractor's directory is found where the end records say it ends.)
    #expect(try ZipEncryption.isEncrypted(head: Array(bytes.prefix(1024)), bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

@Test("a ZIP's central directory of 3 GB is read only up to its cap")
func zipBoundedRead() throws {
    let size: Int64 = 2_600_000_000
    let end = [0x50, 0x4B, 0x05, 0x06] + Bytes.le16(0) + Bytes.le16(0) + Bytes.le16(1) + Bytes.le16(1)
        + Bytes.le32(0xFFFF_FF00) + Bytes.le32(1000) + Bytes.le16(0)
    let central: [UInt8] = [0x50, 0x4B, 0x01, 0x02] + [UInt8](repeating: 0, count: 42)
    let file = SparseBytes(size: size, [(0, [0x50, 0x4B, 0x03, 0x04]), (1000, central), (size - 22, end)])
    #expect(try ZipEncryption.isEncrypted(head: try file.read(at: 0, count: 1024), bytes: file) == false)
    #expect(file.bytesRead <= 1024 + 65_577 + ZipEncryption.maxCentralDirectory)
}

// MARK: - 7z

enum Sample7z {
    /// A 7z with `header` as its next header, after `packed` bytes of (pretend) data.
    static func make(header: [UInt8], packed: [UInt8] = [], nextSize: UInt64? = nil) -> [UInt8] {
        SevenZipEncryption.signature + [0, 4] + Bytes.le32(0) + Bytes.le64(UInt64(packed.count))
            + Bytes.le64(nextSize ?? UInt64(header.count)) + Bytes.le32(0) + packed + header
    }

    /// A header whose one folder has these coders (flags byte, id, properties).
    static func header(encoded: Bool = false, coders: [[UInt8]]) -> [UInt8] {
        var folder: [UInt8] = [UInt8(coders.count)]
        for coder in coders { folder += coder }
        for i in 0..<max(0, coders.count - 1) { folder += [UInt8(i + 1), UInt8(i)] }  // bind pairs
        let streams: [UInt8] = [0x06, 0x00, 0x01, 0x09, 0x0A, 0x00, 0x07, 0x0B, 0x01, 0x00] + folder
            + [0x0C] + [UInt8](repeating: 0x05, count: coders.count) + [0x00, 0x00]
        return encoded ? [0x17] + streams : [0x01, 0x04] + streams + [0x00]
    }

    /// The real archive with the first byte of its LZMA-packed header (at 32 + 48) changed.
    static var damaged: [UInt8] {
        var bytes = realEncrypted
        bytes[80] = 0x55
        return bytes
    }

    static let aes: [UInt8] = [0x24, 0x06, 0xF1, 0x07, 0x01, 0x02, 0xAA, 0xBB]
    static let lzma: [UInt8] = [0x23, 0x03, 0x01, 0x01, 0x05, 0x5D, 0x00, 0x10, 0x00, 0x00]
    static let copy: [UInt8] = [0x01, 0x00]

    /// `7z a -psecret m-enc.7z many/` (p7zip 16.02+26.02): data in AES, header LZMA-packed.
    static let realEncrypted = Bytes.hex(
        "377abcaf271c0004ac809aff02010000000000002200000000000000e5f07270d8cab74ade82c252533d995fa51601e3400d30bf68dfe53368a800db2e3db650a9a9062c032a927898f06ea9596248120000813307ae0fd100d43ca08a69b0e3c400faf45854bdefcdaf8b6aba3b5f6351ddafeef3b78a6f0b0a79230c9b5060bfb7836133e54527d0d0443572be4fb88fcc431d15fbdbf2adcd59bfebd3314897089c06d29f9e2965fd612beb75a92e8e5235d3379c69cccad8b215d499ccf1266c2f3f23387c042c6b7c41c2ea62d55595fdd8a7bbcc762aca81bfbd079588bc7261e7968363e55bb2978cd3ac397d47b5b7f1e2246b6f0258bf52cf3c6c755e832a5148e05918e1fff05d5781c8eb0c5096a9cb4b288e5a05d4cbebef2c000000170630010980d200070b01000123030101055d001000000c82f20a01e862ca380000")
}

@Test("7z encryption: AES coder in the header, in an encoded header, in an LZMA-packed header; hostile headers", arguments: [
    ("plain header, LZMA data", Sample7z.make(header: Sample7z.header(coders: [Sample7z.lzma])), false),
    ("plain header, AES + LZMA data", Sample7z.make(header: Sample7z.header(coders: [Sample7z.aes, Sample7z.lzma])), true),
    ("encoded header with AES (-mhe=on)", Sample7z.make(header: Sample7z.header(encoded: true, coders: [Sample7z.aes, Sample7z.lzma])), true),
    ("real archive: LZMA-packed header, AES data", Sample7z.realEncrypted, true),
    ("real archive with its packed header damaged", Sample7z.damaged, false),
    ("next header past the end", Sample7z.make(header: Sample7z.header(coders: [Sample7z.aes]), nextSize: 1 << 19), false),
    ("next header size 2^64-1", Sample7z.make(header: [0x01], nextSize: UInt64.max), false),
    ("header cut inside the folder", Array(Sample7z.make(header: Sample7z.header(coders: [Sample7z.aes])).dropLast(12)), false),
    ("zero coders", Sample7z.make(header: [0x01, 0x04, 0x07, 0x0B, 0x01, 0x00, 0x00, 0x0C, 0x00]), false),
    ("folder count 2^56", Sample7z.make(header: [0x01, 0x04, 0x07, 0x0B, 0xFF] + [UInt8](repeating: 0xFF, count: 8)), false),
    ("start header only", Array(Sample7z.make(header: []).prefix(32)), false),
])
func sevenZipEncryption(name: String, bytes: [UInt8], expected: Bool) throws {
    #expect(try SevenZipEncryption.isEncrypted(head: Array(bytes.prefix(1024)), bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

/// `lzma.compress(data, format=lzma.FORMAT_ALONE)` in Python: properties, then the stream (with
/// an end marker, the size being "unknown").
@Test("LZMA decodes what Python's lzma encoded, and refuses damaged or truncated streams")
func lzmaDecoder() {
    let data = (0..<3).flatMap { _ in (0..<40).map { UInt8($0) } } + Array(repeating: Array("evidence evidence evidence header".utf8), count: 4).flatMap { $0 }
    let properties = Bytes.hex("5d00008000")
    let stream = Bytes.hex("00000052500a84f99bb28021a969d627e03e065a5f048d53d404ba39570509c15524de9db871593485e52565478aad04796f39826c16f6407ffdbe965c1ad1ac7d3ffffb6fc000")
    #expect(LZMADecoder.decode(stream, properties: properties, unpackSize: data.count) == data)
    #expect(LZMADecoder.decode(stream, properties: properties, unpackSize: 1 << 20) == data, "the end marker stops it")
    #expect(LZMADecoder.decode(stream, properties: properties, unpackSize: 10) == Array(data.prefix(10)))
    #expect(LZMADecoder.decode(Array(stream.prefix(30)), properties: properties, unpackSize: data.count) == nil, "truncated")
    #expect(LZMADecoder.decode([0x01] + stream.dropFirst(), properties: properties, unpackSize: data.count) == nil, "first byte must be 0")
    #expect(LZMADecoder.decode(stream, properties: [0xFF, 0, 0, 0, 0], unpackSize: data.count) == nil, "lc/lp/pb out of range")
    #expect(LZMADecoder.decode(stream, properties: [0x5D], unpackSize: data.count) == nil)
    _ = LZMADecoder.decode([UInt8](repeating: 0, count: 64), properties: properties, unpackSize: 1000)  // never traps
    #expect(LZMADecoder.decode([0] + [UInt8](repeating: 0xFF, count: 64), properties: properties, unpackSize: 1000) == nil)
}

// MARK: - RAR

enum SampleRAR {
    static func rar4(mainFlags: Int, fileFlags: Int?) -> [UInt8] {
        var out = RAREncryption.rar4
        out += Bytes.le16(0) + [0x73] + Bytes.le16(mainFlags) + Bytes.le16(13) + [UInt8](repeating: 0, count: 6)
        if let fileFlags {
            let name = Bytes.ascii("clip.mp4")
            let headSize = 32 + name.count
            out += Bytes.le16(0) + [0x74] + Bytes.le16(fileFlags | 0x8000) + Bytes.le16(headSize) + Bytes.le32(5)
                + Bytes.le32(5) + [0] + Bytes.le32(0) + Bytes.le32(0) + [20, 0x30] + Bytes.le16(name.count) + Bytes.le32(0) + name
            out += [1, 2, 3, 4, 5]
        }
        return out + Bytes.le16(0) + [0x7B] + Bytes.le16(0x4000) + Bytes.le16(7)
    }

    static func vint(_ v: Int) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        repeat {
            out.append(UInt8(v & 0x7F) | (v > 0x7F ? 0x80 : 0))
            v >>= 7
        } while v > 0
        return out
    }

    static func block(type: Int, flags: Int = 0, body: [UInt8] = [], extra: [UInt8] = [], data: Int = 0) -> [UInt8] {
        var fields = vint(type) + vint(flags | (extra.isEmpty ? 0 : 1) | (data > 0 ? 2 : 0))
        if !extra.isEmpty { fields += vint(extra.count) }
        if data > 0 { fields += vint(data) }
        let header = fields + body + extra
        return Bytes.le32(0) + vint(header.count) + header + [UInt8](repeating: 0xDD, count: data)
    }

    static func rar5(encryptedFile: Bool, encryptedHeaders: Bool = false) -> [UInt8] {
        var out = RAREncryption.rar5
        if encryptedHeaders { out += block(type: 4, body: [0, 0, 15] + [UInt8](repeating: 0xAB, count: 16)) }
        out += block(type: 1, body: [0])
        let name = Bytes.ascii("clip.mp4")
        let fileBody = [0] + vint(5) + [0x20] + [0, 0] + vint(name.count) + name
        let encryptionRecord = vint(1 + 40) + vint(1) + [UInt8](repeating: 0, count: 40)
        let timeRecord = vint(1 + 5) + vint(3) + [UInt8](repeating: 0, count: 5)
        out += block(type: 2, body: fileBody, extra: timeRecord + (encryptedFile ? encryptionRecord : []), data: 5)
        return out + block(type: 5, body: [0])
    }
}

@Test("RAR encryption: RAR 4 header and file flags, RAR 5 encryption header and file record; hostile blocks", arguments: [
    ("RAR 4 plain", SampleRAR.rar4(mainFlags: 0, fileFlags: 0), false),
    ("RAR 4 encrypted file", SampleRAR.rar4(mainFlags: 0, fileFlags: 0x0004), true),
    ("RAR 4 encrypted headers (-hp)", SampleRAR.rar4(mainFlags: 0x0080, fileFlags: nil), true),
    ("RAR 4 head size below 7", RAREncryption.rar4 + Bytes.le16(0) + [0x73] + Bytes.le16(0) + Bytes.le16(3), false),
    ("RAR 4 data size 4 GB loops no further", RAREncryption.rar4 + Bytes.le16(0) + [0x75] + Bytes.le16(0x8000) + Bytes.le16(11) + Bytes.le32(0xFFFF_FFFF), false),
    ("RAR 5 plain", SampleRAR.rar5(encryptedFile: false), false),
    ("RAR 5 encrypted file", SampleRAR.rar5(encryptedFile: true), true),
    ("RAR 5 encrypted headers", SampleRAR.rar5(encryptedFile: false, encryptedHeaders: true), true),
    ("RAR 5 header size 0", RAREncryption.rar5 + Bytes.le32(0) + [0], false),
    ("RAR 5 vint of 11 bytes", RAREncryption.rar5 + Bytes.le32(0) + [UInt8](repeating: 0xFF, count: 11), false),
    ("RAR 5 extra size larger than the header", RAREncryption.rar5 + SampleRAR.block(type: 2, body: []).prefix(4) + [3, 2, 1, 0x7F], false),
])
func rarEncryption(name: String, bytes: [UInt8], expected: Bool) throws {
    #expect(try RAREncryption.isEncrypted(head: Array(bytes.prefix(1024)), bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

// MARK: - PDF

enum SamplePDF {
    static let body = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    static func classic(trailer: String) -> [UInt8] {
        let text = body + "xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n\(trailer)\nstartxref\n\(body.utf8.count)\n%%EOF\n"
        return Array(text.utf8)
    }
    static func xrefStream(dictionary: String) -> [UInt8] {
        let text = body + "5 0 obj\n\(dictionary)\nstream\nxx\nendstream\nendobj\nstartxref\n\(body.utf8.count)\n%%EOF\n"
        return Array(text.utf8)
    }
    /// A linearized-like file: the full trailer near the start, startxref pointing to it, 200 KiB on.
    static func trailerNearStart(_ trailer: String) -> [UInt8] {
        let start = body + "xref\n0 1\n0000000000 65535 f \ntrailer\n\(trailer)\n"
        let filler = String(repeating: "% filler line of a long document\n", count: 6_500)
        return Array((start + filler + "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 3 >>\nstartxref\n\(body.utf8.count)\n%%EOF\n").utf8)
    }
}

@Test("PDF encryption: /Encrypt in a trailer or xref stream dictionary, at its own level only", arguments: [
    ("plain", SamplePDF.classic(trailer: "<< /Size 2 /Root 1 0 R >>"), false),
    ("trailer /Encrypt", SamplePDF.classic(trailer: "<< /Size 2 /Root 1 0 R /Encrypt 6 0 R >>"), true),
    ("trailer /Encrypt with no spaces", SamplePDF.classic(trailer: "<</Size 2/Encrypt<</Filter/Standard>>/Root 1 0 R>>"), true),
    ("/EncryptMetadata is not /Encrypt", SamplePDF.classic(trailer: "<< /Size 2 /EncryptMetadata false >>"), false),
    ("/Encrypt inside a nested dictionary", SamplePDF.classic(trailer: "<< /Size 2 /Info << /Encrypt 1 >> >>"), false),
    ("/Encrypt inside a string", SamplePDF.classic(trailer: "<< /Size 2 /Title (a \\) /Encrypt b) >>"), false),
    ("xref stream with /Encrypt", SamplePDF.xrefStream(dictionary: "<< /Type /XRef /W [1 2 1] /Size 6 /Encrypt 4 0 R >>"), true),
    ("xref stream plain", SamplePDF.xrefStream(dictionary: "<< /Type /XRef /W [1 2 1] /Size 6 >>"), false),
    ("full trailer near the start", SamplePDF.trailerNearStart("<< /Size 3 /Encrypt 2 0 R >>"), true),
    ("startxref past the end", Array((SamplePDF.body + "startxref\n99999999999\n%%EOF").utf8), false),
    ("unterminated dictionary", Array((SamplePDF.body + "trailer\n<< /Size 2 (((((").utf8), false),
    ("header only", Array("%PDF-1.4".utf8), false),
])
func pdfEncryption(name: String, bytes: [UInt8], expected: Bool) throws {
    #expect(try PDFEncryption.isEncrypted(bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

// MARK: - OLE (Office)

enum SampleOLE {
    static func entry(_ name: String, type: UInt8, start: Int = 0, size: Int = 0) -> [UInt8] {
        let units = Array(name.utf16) + [0]
        var e = units.flatMap { Bytes.le16(Int($0)) }
        e += [UInt8](repeating: 0, count: 64 - e.count)
        e += Bytes.le16(units.count * 2) + [type, 1] + Bytes.le32(-1) + Bytes.le32(-1) + Bytes.le32(-1)
        e += [UInt8](repeating: 0, count: 0x74 - e.count) + Bytes.le32(start) + Bytes.le32(size) + Bytes.le32(0)
        return e
    }

    /// Header, FAT in sector 0, directory in sector 1 (chained by `directoryNext`), `streamSector` as sector 2.
    static func make(_ entries: [[UInt8]], directoryNext: Int = -2, streamSector: [UInt8] = [], shift: Int = 9) -> [UInt8] {
        var header = OfficeEncryption.signature + [UInt8](repeating: 0, count: 16) + Bytes.le16(0x3E) + Bytes.le16(3)
            + Bytes.le16(0xFFFE) + Bytes.le16(shift) + Bytes.le16(6) + [UInt8](repeating: 0, count: 6)
            + Bytes.le32(0) + Bytes.le32(1) + Bytes.le32(1) + Bytes.le32(0) + Bytes.le32(4096) + Bytes.le32(-2)
            + Bytes.le32(0) + Bytes.le32(-2) + Bytes.le32(0)
        header += Bytes.le32(0) + (1..<109).flatMap { _ in Bytes.le32(-1) }
        var fat = Bytes.le32(-3) + Bytes.le32(directoryNext) + Bytes.le32(-2)
        fat += [UInt8](repeating: 0xFF, count: 512 - fat.count)
        var directory = [entry("Root Entry", type: 5)] .flatMap { $0 } + entries.flatMap { $0 }
        directory += [UInt8](repeating: 0, count: 512 - directory.count % 512 == 512 ? 0 : 512 - directory.count % 512)
        var stream = streamSector
        stream += [UInt8](repeating: 0, count: max(0, 512 - stream.count))
        return header + fat + Array(directory.prefix(512)) + stream
    }
}

@Test("Office encryption: EncryptedPackage/EncryptionInfo streams, Word's fEncrypted, Excel's FILEPASS; hostile directories", arguments: [
    ("encrypted OOXML", SampleOLE.make([SampleOLE.entry("EncryptionInfo", type: 2), SampleOLE.entry("EncryptedPackage", type: 2, size: 9000)]), true),
    ("a storage named EncryptedPackage is not the stream", SampleOLE.make([SampleOLE.entry("EncryptedPackage", type: 1)]), false),
    ("plain .doc", SampleOLE.make([SampleOLE.entry("WordDocument", type: 2, start: 2, size: 4096)],
                                  streamSector: Bytes.le16(0xA5EC) + Bytes.le16(0xC1) + [0, 0, 0, 0, 0, 0] + Bytes.le16(0x0000)), false),
    ("encrypted .doc", SampleOLE.make([SampleOLE.entry("WordDocument", type: 2, start: 2, size: 4096)],
                                      streamSector: Bytes.le16(0xA5EC) + Bytes.le16(0xC1) + [0, 0, 0, 0, 0, 0] + Bytes.le16(0x0100)), true),
    ("plain .xls", SampleOLE.make([SampleOLE.entry("Workbook", type: 2, start: 2, size: 4096)],
                                  streamSector: Bytes.le16(0x0809) + Bytes.le16(16) + [UInt8](repeating: 0, count: 16) + Bytes.le16(0x000A) + Bytes.le16(0)), false),
    ("encrypted .xls", SampleOLE.make([SampleOLE.entry("Workbook", type: 2, start: 2, size: 4096)],
                                      streamSector: Bytes.le16(0x0809) + Bytes.le16(16) + [UInt8](repeating: 0, count: 16) + Bytes.le16(0x002F) + Bytes.le16(0)), true),
    ("directory chain looping on itself", SampleOLE.make([SampleOLE.entry("WordDocument", type: 2, start: 2, size: 4096)], directoryNext: 1), false),
    ("sector shift 30", SampleOLE.make([SampleOLE.entry("EncryptionInfo", type: 2)], shift: 30), false),
    ("header only", Array(SampleOLE.make([]).prefix(512)), false),
])
func officeEncryption(name: String, bytes: [UInt8], expected: Bool) throws {
    #expect(try OfficeEncryption.isEncrypted(head: Array(bytes.prefix(1024)), bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

// MARK: - Video

enum SampleMP4 {
    static func box(_ type: String, size: Int) -> [UInt8] { Bytes.be32(UInt32(size)) + Bytes.ascii(type) + [UInt8](repeating: 0, count: max(0, size - 8)) }
    static let ftyp = Bytes.be32(20) + Bytes.ascii("ftypisom") + Bytes.be32(0x200) + Bytes.ascii("isom")
    static let moov = box("moov", size: 100)
    static let mdat = box("mdat", size: 1000)
}

@Test("MP4/MOV box walk: index and media present, nothing past the end; 64-bit and zero sizes; hostile sizes", arguments: [
    ("ftyp moov mdat", SampleMP4.ftyp + SampleMP4.moov + SampleMP4.mdat, nil),
    ("ftyp mdat moov", SampleMP4.ftyp + SampleMP4.mdat + SampleMP4.moov, nil),
    ("no moov (recording stopped)", SampleMP4.ftyp + SampleMP4.mdat, .missingIndex),
    ("no mdat", SampleMP4.ftyp + SampleMP4.moov, .missingMediaData),
    ("cut inside mdat", Array((SampleMP4.ftyp + SampleMP4.moov + SampleMP4.mdat).dropLast(1)), .cutShort(part: "mdat")),
    ("cut inside moov", Array((SampleMP4.ftyp + SampleMP4.mdat + SampleMP4.moov).dropLast(50)), .cutShort(part: "moov")),
    ("cut inside a box header", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(1) + Bytes.ascii("mdat") + [0, 0], .cutShort(part: "mdat")),
    ("64-bit mdat", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(1) + Bytes.ascii("mdat") + Bytes.be64(24) + [1, 2, 3, 4, 5, 6, 7, 8], nil),
    ("64-bit size 2^64-1", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(1) + Bytes.ascii("mdat") + Bytes.be64(UInt64.max), .brokenStructure),
    ("64-bit size 2^63", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(1) + Bytes.ascii("mdat") + Bytes.be64(1 << 63), .brokenStructure),
    ("64-bit size below its header", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(1) + Bytes.ascii("mdat") + Bytes.be64(8), .brokenStructure),
    ("size 0 mdat to the end after moov", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(0) + Bytes.ascii("mdat") + [1, 2, 3], nil),
    ("size 0 mdat without moov", SampleMP4.ftyp + Bytes.be32(0) + Bytes.ascii("mdat") + [1, 2, 3], .missingIndex),
    ("size 4 before the index", SampleMP4.ftyp + Bytes.be32(4) + Bytes.ascii("free") + SampleMP4.moov, .brokenStructure),
    ("size 4 after everything (trailing bytes)", SampleMP4.ftyp + SampleMP4.moov + SampleMP4.mdat + Bytes.be32(4) + Bytes.ascii("junk"), nil),
    ("3 trailing zero bytes", SampleMP4.ftyp + SampleMP4.moov + SampleMP4.mdat + [0, 0, 0], nil),
    ("box size 2^32-1", SampleMP4.ftyp + SampleMP4.moov + Bytes.be32(0xFFFF_FFFF) + Bytes.ascii("mdat"), .cutShort(part: "mdat")),
] as [(String, [UInt8], VideoDamage?)])
func mp4Walk(name: String, bytes: [UInt8], expected: VideoDamage?) throws {
    #expect(try VideoCompleteness.damage(.mp4, bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

@Test("a 2.5 GB MP4 costs a few box headers to walk; a million tiny boxes stop at the cap")
func mp4BoundedRead() throws {
    let size: Int64 = 2_500_000_000
    let mdat = Bytes.be32(1) + Bytes.ascii("mdat") + Bytes.be64(UInt64(size - 120))
    let file = SparseBytes(size: size, [(0, SampleMP4.ftyp), (20, SampleMP4.moov), (120, mdat)])
    #expect(try VideoCompleteness.damage(.mp4, bytes: file) == nil)
    #expect(file.bytesRead <= 64)
    let cut = SparseBytes(size: size - 1, [(0, SampleMP4.ftyp), (20, SampleMP4.moov), (120, mdat)])
    #expect(try VideoCompleteness.damage(.mp4, bytes: cut) == .cutShort(part: "mdat"))

    let tiny = SampleMP4.ftyp + Array(repeating: SampleMP4.box("free", size: 8), count: VideoCompleteness.maxBoxes + 10).flatMap { $0 }
    #expect(try VideoCompleteness.damage(.mp4, bytes: InMemoryBytes(tiny)) == nil, "too many boxes to judge: not refused")
}

enum SampleMKV {
    static let header: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x8B, 0x42, 0x82, 0x84] + Bytes.ascii("webm") + [0x42, 0x87, 0x81, 0x02]
    static func segment(size: UInt64?, body: Int) -> [UInt8] {
        let sizeBytes: [UInt8] = size.map { [0x01] + Array(Bytes.be64($0).suffix(7)) } ?? [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        return [0x18, 0x53, 0x80, 0x67] + sizeBytes + [UInt8](repeating: 0, count: body)
    }
}

@Test("Matroska/WebM: EBML header then a Segment that fits", arguments: [
    ("whole", SampleMKV.header + SampleMKV.segment(size: 100, body: 100), nil),
    ("unknown size (live recording)", SampleMKV.header + SampleMKV.segment(size: nil, body: 100), nil),
    ("segment cut short", SampleMKV.header + SampleMKV.segment(size: 100, body: 60), .cutShort(part: "Segment")),
    ("segment of 2^56-2 bytes", SampleMKV.header + SampleMKV.segment(size: (1 << 56) - 2, body: 10), .cutShort(part: "Segment")),
    ("a Void element first", SampleMKV.header + [0xEC, 0x82, 0, 0] + SampleMKV.segment(size: 10, body: 10), nil),
    ("header only", SampleMKV.header, .missingSegment),
    ("a Cluster instead of a Segment", SampleMKV.header + [0x1F, 0x43, 0xB6, 0x75, 0x80], .missingSegment),
    ("header cut", Array(SampleMKV.header.prefix(9)), .cutShort(part: "EBML header")),
    ("header size of 2^56", [0x1A, 0x45, 0xDF, 0xA3, 0x01, 0xFE, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 5000), .brokenStructure),
] as [(String, [UInt8], VideoDamage?)])
func matroskaWalk(name: String, bytes: [UInt8], expected: VideoDamage?) throws {
    #expect(try VideoCompleteness.damage(.webm, bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

@Test("AVI: each RIFF chunk must fit in the file", arguments: [
    ("whole", Bytes.ascii("RIFF") + Bytes.le32(12) + Bytes.ascii("AVI LIST") + Bytes.le32(0), nil),
    ("RIFF larger than the file", Bytes.ascii("RIFF") + Bytes.le32(1000) + Bytes.ascii("AVI LIST") + Bytes.le32(0), .cutShort(part: "RIFF")),
    ("RIFF size 2^32-1", Bytes.ascii("RIFF") + Bytes.le32(-1) + Bytes.ascii("AVI "), .cutShort(part: "RIFF")),
    ("odd size padded, then AVIX", Bytes.ascii("RIFF") + Bytes.le32(5) + Bytes.ascii("AVI ") + [0, 0] + Bytes.ascii("RIFF") + Bytes.le32(4) + Bytes.ascii("AVIX"), nil),
    ("AVIX cut short", Bytes.ascii("RIFF") + Bytes.le32(4) + Bytes.ascii("AVI ") + Bytes.ascii("RIFF") + Bytes.le32(400) + Bytes.ascii("AVIX"), .cutShort(part: "RIFF")),
    ("trailing bytes after the chunks", Bytes.ascii("RIFF") + Bytes.le32(4) + Bytes.ascii("AVI ") + Bytes.ascii("padding-bytes"), nil),
] as [(String, [UInt8], VideoDamage?)])
func aviWalk(name: String, bytes: [UInt8], expected: VideoDamage?) throws {
    #expect(try VideoCompleteness.damage(.avi, bytes: InMemoryBytes(bytes)) == expected, "\(name)")
}

// MARK: - The policy and its words

@Test("the policy dispatches by magic bytes, honours its switches, and words its rejections")
func openabilityPolicy() throws {
    let zip = SampleZip.make([.init(name: "a.txt", flags: 1)])
    let video = SampleMP4.ftyp + SampleMP4.mdat
    let on = OpenabilityPolicy(rejectEncrypted: true, rejectUnplayableVideo: true)
    let off = OpenabilityPolicy(rejectEncrypted: false, rejectUnplayableVideo: false)
    let zipKind = ContentSniffer.sniff(zip)
    let videoKind = ContentSniffer.sniff(video)
    #expect(try encrypted(zip) == .zip)
    #expect(try encrypted(SampleMP4.ftyp + SampleMP4.moov + SampleMP4.mdat) == nil)

    let refusedZip = try #require(try on.check(fileName: "work.zip", kind: zipKind, head: zip, bytes: InMemoryBytes(zip)))
    #expect(refusedZip.code == "encrypted")
    #expect(refusedZip.message.hasPrefix("This ZIP is password-protected: the moderator cannot open it. Save it again without a password and drop it in again."))
    let refusedVideo = try #require(try on.check(fileName: "wall.mp4", kind: videoKind, head: video, bytes: InMemoryBytes(video)))
    #expect(refusedVideo.code == "unplayable-video")
    #expect(refusedVideo.message.hasPrefix("This video is incomplete (the recording or the copy stopped before it finished): it will not play. Copy it again from the camera or the original recording."))
    #expect(refusedVideo.message.contains("moov"))
    #expect(try off.check(fileName: "work.zip", kind: zipKind, head: zip, bytes: InMemoryBytes(zip)) == nil)
    #expect(try off.check(fileName: "wall.mp4", kind: videoKind, head: video, bytes: InMemoryBytes(video)) == nil)

    for (format, name, phrase) in [(EncryptedFormat.office, "essay.docx", "Word document"), (.office, "marks.xls", "Excel workbook"),
                                   (.pdf, "record.pdf", "This PDF"), (.sevenZip, "a.7z", "7z archive"), (.rar, "a.rar", "RAR archive")] {
        let r = Rejection.encrypted(format, fileName: name)
        #expect(r.message.contains(phrase) && r.message.contains("password-protected: the moderator cannot open it"), "\(r.message)")
        #expect(r.message.hasSuffix("."))
    }
}

@Test("[policy] reject_encrypted and reject_unplayable_video: default true, false when set, typed")
func openabilityConfig() throws {
    let base = "[centre]\nnumber = \"12345\"\n[portal]\nurl = \"https://portal.example.org/files/\"\n[policy]\n"
    let defaults = try Config.parse(base, source: "test.toml", baseDirectory: "/etc/evidence-uploader")
    #expect(defaults.policy.rejectEncrypted && defaults.policy.rejectUnplayableVideo)
    let off = try Config.parse(base + "reject_encrypted = false\nreject_unplayable_video = false\n", source: "test.toml", baseDirectory: "/etc/evidence-uploader")
    #expect(!off.policy.rejectEncrypted && !off.policy.rejectUnplayableVideo)
    #expect(off.rendered().contains("reject_encrypted = false\nreject_unplayable_video = false"))
    #expect(throws: (any Error).self) { try Config.parse(base + "reject_encrypted = \"yes\"\n", source: "test.toml", baseDirectory: "/etc/evidence-uploader") }
}
