@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

/// Found by the `tus-headers` fuzz target (Fuzz/TusHeadersFuzz.swift): `TusMetadata.parse` splits the
/// header on Swift Characters, and a combining mark (here U+0483, UTF-8 D2 83) after a space or a
/// comma fuses with it into one grapheme, so that "," or " " is no longer a separator. The parser
/// accepts a key that starts with a combining mark; `headerValue` then writes it right after a ","
/// which the mark swallows, and the written header no longer parses to the same pairs (here: nil).
/// A byte-oriented tus server would split all of these on the ASCII bytes.
@Suite("fuzz regressions: Upload-Metadata")
struct FuzzTusMetadataRegressionTests {
    /// The fuzzer's input, as the header lines libcurl would hand over.
    static let crashInput: [UInt8] = [
        0x34, 0x2c, 0x74, 0x2c, 0x2c, 0x3a, 0x2c, 0x3a, 0x2c, 0x2c, 0x2c, 0x20, 0xd2, 0x83, 0x29, 0x00,
        0x00, 0x7a, 0x43, 0x3a, 0x20, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x6c, 0x32, 0x2e,
    ]

    @Test("what parses writes back and parses the same (fuzz crash-383d2a76)")
    func fuzzInputRoundTrips() {
        var parser = HeaderLineParser()
        parser.consume(Self.crashInput)
        for value in parser.headers.values {
            if let metadata = TusMetadata.parse(value) {
                #expect(TusMetadata.parse(metadata.headerValue) == metadata)
            }
        }
    }

    @Test("a combining mark after a separator does not hide it", arguments: [
        "x, \u{0301}y",                       // the minimal form of the fuzz input
        "filename YS5tcDQ=, \u{0483}k",
        "a,\u{0301}b",                         // a comma that is a separator to a byte-level server
    ])
    func combiningMarkAfterSeparator(header: String) {
        if let metadata = TusMetadata.parse(header) {
            #expect(TusMetadata.parse(metadata.headerValue) == metadata)
            // tus keys are ASCII without spaces or commas; none of these can be one key.
            #expect(metadata.pairs.allSatisfy { pair in pair.key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2C } })
        }
    }
}
