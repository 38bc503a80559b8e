@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("documents are recognised by their magic", arguments: [
    ("PDF", SampleHead.pdf, "application/pdf"),
    ("PNG", SampleHead.png, "image/png"),
    ("JPEG", SampleHead.jpeg, "image/jpeg"),
    ("GIF", SampleHead.ascii("GIF89a") + [0x01, 0x00, 0x01, 0x00], "image/gif"),
    ("OOXML zip", SampleHead.ooxml, "application/zip"),
    ("ODF text", SampleHead.openDocument("application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"),
    ("ODF spreadsheet", SampleHead.openDocument("application/vnd.oasis.opendocument.spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
    ("ASCII text", SampleHead.ascii("Candidate 1234 laid 3 courses.\r\nWitness: J. Smith\n"), "text/plain"),
    ("UTF-8 text with BOM", [0xEF, 0xBB, 0xBF] + SampleHead.ascii("Observation record – Unit 305\n"), "text/plain"),
    ("text cut mid-character at the head's end",
     Array(SampleHead.ascii("a" + String(repeating: "é", count: 600)).prefix(ContentSniffer.headLength)), "text/plain"),
])
func sniffsDocument(name: String, head: [UInt8], mime: String) {
    #expect(ContentSniffer.sniff(head) == .document(mimeType: mime), "\(name)")
}

@Test("not text", arguments: [
    ("NUL byte", SampleHead.ascii("abc") + [0x00] + SampleHead.ascii("def")),
    ("invalid UTF-8", SampleHead.ascii("caf") + [0xE9, 0x20, 0x6F, 0x6B]),
    ("escape character", [0x1B] + SampleHead.ascii("[31mred")),
    ("cut character in a short file", SampleHead.ascii("caf") + [0xC3]),
])
func notText(name: String, head: [UInt8]) {
    #expect(ContentSniffer.sniff(head) == .unknown, "\(name)")
}
