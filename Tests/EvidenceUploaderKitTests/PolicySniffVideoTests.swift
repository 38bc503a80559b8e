@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

/// Real-shaped starts of files, built byte by byte as the formats define them.
enum SampleHead {
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// An ISO-BMFF `ftyp` box with the major brand, then the start of a `moov` box.
    static func ftyp(_ brand: String, size: Int = 64) -> [UInt8] {
        var head: [UInt8] = [0x00, 0x00, 0x00, 0x20] + ascii("ftyp") + ascii(brand) + [0x00, 0x00, 0x02, 0x00]
        head += ascii("isomiso2avc1mp41")
        head += [0x00, 0x00, 0x10, 0x00] + ascii("moov")
        return padded(head, to: size)
    }

    static func riff(_ form: String) -> [UInt8] {
        padded(ascii("RIFF") + [0x24, 0x10, 0x00, 0x00] + ascii(form) + ascii("LIST") + [0x7C, 0x00, 0x00, 0x00]
            + ascii("hdrlavih"), to: 64)
    }

    /// An EBML header whose elements include the DocType.
    static func ebml(docType: String) -> [UInt8] {
        var body: [UInt8] = [0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04, 0x42, 0xF3, 0x81, 0x08]
        body += [0x42, 0x82, 0x80 | UInt8(docType.utf8.count)] + ascii(docType)
        body += [0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]
        let header: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x80 | UInt8(body.count)] + body
        return padded(header + [0x18, 0x53, 0x80, 0x67, 0x01, 0x00, 0x00, 0x00], to: 96)
    }

    static let asf: [UInt8] = padded(
        [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]
            + [0x9A, 0x13, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x02], to: 64)

    /// Transport stream packets: 0x47 sync byte, PID, continuity counter, then payload.
    static func transportStream(packets: Int, packetSize: Int = 188, prefix: Int = 0) -> [UInt8] {
        var head: [UInt8] = []
        for n in 0..<packets {
            var packet = [UInt8](repeating: 0xFF, count: packetSize)
            packet[prefix] = 0x47
            packet[prefix + 1] = 0x40
            packet[prefix + 2] = 0x00
            packet[prefix + 3] = 0x10 | UInt8(n & 0x0F)
            if prefix > 0 { packet[0] = 0x00; packet[1] = 0x12; packet[2] = 0x34; packet[3] = UInt8(n) }
            head += packet
        }
        return head
    }

    /// An MPEG-2 program stream pack header, then a system header.
    static let programStream: [UInt8] = padded(
        [0x00, 0x00, 0x01, 0xBA, 0x44, 0x00, 0x04, 0x00, 0x04, 0x01, 0x01, 0x89, 0xC3, 0xF8]
            + [0x00, 0x00, 0x01, 0xBB, 0x00, 0x12], to: 64)

    static let pdf = padded(ascii("%PDF-1.7\n%\u{e2}\u{e3}\u{cf}\u{d3}\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), to: 80)

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + ascii("IHDR")
        + [0x00, 0x00, 0x07, 0x80, 0x00, 0x00, 0x04, 0x38, 0x08, 0x02, 0x00, 0x00, 0x00]

    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x1C, 0x45] + ascii("Exif") + [0x00, 0x00, 0x4D, 0x4D]

    /// A ZIP local file header for the first entry of an OOXML file.
    static let ooxml: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0x21, 0x00,
        0x11, 0x22, 0x33, 0x44, 0x99, 0x01, 0x00, 0x00, 0x52, 0x05, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00]
        + ascii("[Content_Types].xml") + [0xB4, 0x54, 0xCB, 0x6E]

    /// An ODF file: a stored first entry `mimetype` holding the MIME type.
    static func openDocument(_ mime: String) -> [UInt8] {
        let size = UInt8(mime.utf8.count)
        return [0x50, 0x4B, 0x03, 0x04, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5E, 0xC6, 0x32, 0x4C,
            0x5E, 0xC6, 0x32, 0x4C, size, 0x00, 0x00, 0x00, size, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00]
            + ascii("mimetype") + ascii(mime) + [0x50, 0x4B, 0x03, 0x04]
    }

    static func padded(_ bytes: [UInt8], to size: Int) -> [UInt8] {
        bytes.count >= size ? bytes : bytes + [UInt8](repeating: 0, count: size - bytes.count)
    }

    /// Deterministic pseudo-random bytes (a 64-bit LCG), so a failure can be reproduced.
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}

@Test("videos are recognised by their bytes", arguments: [
    ("ftyp isom", SampleHead.ftyp("isom"), VideoContainer.mp4),
    ("ftyp mp42", SampleHead.ftyp("mp42"), .mp4),
    ("ftyp avc1", SampleHead.ftyp("avc1"), .mp4),
    ("ftyp M4V ", SampleHead.ftyp("M4V "), .mp4),
    ("ftyp qt  ", SampleHead.ftyp("qt  "), .quicktime),
    ("ftyp 3gp5", SampleHead.ftyp("3gp5"), .threeGPP),
    ("ftyp 3g2a", SampleHead.ftyp("3g2a"), .threeGPP),
    ("ftyp only, 12 bytes", Array(SampleHead.ftyp("isom").prefix(12)), .mp4),
    ("RIFF AVI", SampleHead.riff("AVI "), .avi),
    ("EBML webm", SampleHead.ebml(docType: "webm"), .webm),
    ("EBML matroska", SampleHead.ebml(docType: "matroska"), .matroska),
    ("EBML cut before DocType", Array(SampleHead.ebml(docType: "webm").prefix(8)), .matroska),
    ("ASF GUID", SampleHead.asf, .asf),
    ("TS, 3 packets", SampleHead.transportStream(packets: 3), .mpegTS),
    ("TS, 2 packets", SampleHead.transportStream(packets: 2), .mpegTS),
    ("TS, full head", Array(SampleHead.transportStream(packets: 6).prefix(ContentSniffer.headLength)), .mpegTS),
    ("M2TS, 3 packets", SampleHead.transportStream(packets: 3, packetSize: 192, prefix: 4), .mpegTS),
    ("PS pack header", SampleHead.programStream, .mpegPS),
    ("QuickTime without ftyp: wide then mdat",
     [0, 0, 0, 8] + SampleHead.ascii("wide") + [0, 0x10, 0, 0] + SampleHead.ascii("mdat"), .quicktime),
    ("QuickTime without ftyp: moov", [0, 0, 0x10, 0] + SampleHead.ascii("moov") + [0, 0, 0, 0x6C], .quicktime),
])
func sniffsVideo(name: String, head: [UInt8], container: VideoContainer) {
    #expect(ContentSniffer.sniff(head) == .video(container), "\(name)")
}
