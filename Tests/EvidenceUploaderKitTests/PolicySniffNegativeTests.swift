@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("look-alikes are not video", arguments: [
    ("RIFF WAVE", SampleHead.riff("WAVE"), ContentKind.document(mimeType: "audio/wav")),
    ("RIFF WEBP", SampleHead.riff("WEBP"), .document(mimeType: "image/webp")),
    ("a single 0x47 byte (the letter G)", [0x47], .document(mimeType: "text/plain")),
    ("0x47 then zeros past 188", [0x47] + [UInt8](repeating: 0, count: 300), .unknown),
    ("0x47 at 0 and 188 but not 376", Array(SampleHead.transportStream(packets: 2)) + [0x00] + [UInt8](repeating: 0xFF, count: 10), .unknown),
    ("one TS packet only", SampleHead.transportStream(packets: 1), .unknown),
    ("PDF", SampleHead.pdf, .document(mimeType: "application/pdf")),
    ("HEIC photo in ftyp", SampleHead.ftyp("heic"), .document(mimeType: "image/heic")),
    ("M4A audio in ftyp", SampleHead.ftyp("M4A "), .document(mimeType: "audio/mp4")),
    ("ftyp not at offset 4", [0, 0, 0, 0, 0] + SampleHead.ascii("ftypisom") + [0, 0, 0, 0], .unknown),
    ("text that starts like a QuickTime atom", SampleHead.ascii("The free software is here.\n"), .document(mimeType: "text/plain")),
    ("00 00 01 B3 is not a pack header", [0x00, 0x00, 0x01, 0xB3, 0x16, 0x00, 0xF0, 0x15], .unknown),
    ("EBML magic shifted by one", [0x00, 0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86], .unknown),
    ("empty head", [], .unknown),
])
func notVideo(name: String, head: [UInt8], expected: ContentKind) {
    #expect(ContentSniffer.sniff(head) == expected, "\(name)")
}

/// Every prefix (0...12 bytes and more) of every sample, and random bytes: sniff never traps and
/// a prefix shorter than a container's signature is never taken for that container.
@Test("short and random heads never crash", arguments: 0...40)
func shortHeadsNeverCrash(length: Int) {
    let samples: [[UInt8]] = [
        SampleHead.ftyp("isom"), SampleHead.riff("AVI "), SampleHead.ebml(docType: "webm"), SampleHead.asf,
        SampleHead.transportStream(packets: 3), SampleHead.programStream, SampleHead.pdf, SampleHead.png,
        SampleHead.jpeg, SampleHead.ooxml, SampleHead.openDocument("application/vnd.oasis.opendocument.text"),
    ]
    for sample in samples {
        let kind = ContentSniffer.sniff(Array(sample.prefix(length)))
        if length < 4 { #expect(!kind.isVideo) }
    }
    for seed in 0..<50 {
        _ = ContentSniffer.sniff(SampleHead.random(count: length, seed: UInt64(seed)))
    }
}

@Test("random full-length heads never crash and are not taken for text", arguments: 0..<200)
func randomHeads(seed: Int) {
    let head = SampleHead.random(count: ContentSniffer.headLength, seed: UInt64(seed) &+ 1000)
    let kind = ContentSniffer.sniff(head)
    #expect(kind != .document(mimeType: "text/plain"))
}

@Test("malformed EBML headers are still Matroska, never a crash", arguments: [
    [0x1A, 0x45, 0xDF, 0xA3] as [UInt8],
    [0x1A, 0x45, 0xDF, 0xA3, 0x00],
    [0x1A, 0x45, 0xDF, 0xA3, 0xFF, 0x42, 0x82, 0xFF],
    [0x1A, 0x45, 0xDF, 0xA3, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x42, 0x82, 0x88],
    [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84, 0x77],
    [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x00, 0x00, 0x00],
])
func malformedEBML(head: [UInt8]) {
    #expect(ContentSniffer.sniff(head) == .video(.matroska))
}
