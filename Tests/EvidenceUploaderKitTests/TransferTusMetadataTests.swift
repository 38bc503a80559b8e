@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

struct TransferMetadataCase: Sendable, CustomStringConvertible {
    let name: String
    let pairs: [(key: String, value: String)]
    let header: String
    var description: String { name }
}

@Test("TusMetadata.headerValue and parse round trip", arguments: [
    TransferMetadataCase(name: "ascii", pairs: [("filename", "clip.mp4"), ("filetype", "video/mp4")],
                 header: "filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0"),
    TransferMetadataCase(name: "unicode", pairs: [("candidate", "Élodie Dupré — 日本 🎥")],
                 header: "candidate w4lsb2RpZSBEdXByw6kg4oCUIOaXpeacrCDwn46l"),
    TransferMetadataCase(name: "empty value", pairs: [("confidential", ""), ("unit", "a,b,c")],
                 header: "confidential ,unit YSxiLGM="),
    TransferMetadataCase(name: "commas and spaces in values", pairs: [("filename", "a,b,c"), ("note", "  spaced  ")],
                 header: "filename YSxiLGM=,note ICBzcGFjZWQgIA=="),
    TransferMetadataCase(name: "nothing", pairs: [], header: ""),
])
func tusMetadataRoundTrip(_ c: TransferMetadataCase) throws {
    let metadata = TusMetadata(c.pairs)
    #expect(metadata.headerValue == c.header)
    let parsed = try #require(TusMetadata.parse(c.header))
    #expect(parsed == metadata)
    for (key, value) in c.pairs { #expect(parsed[key] == value) }
}

@Test("TusMetadata.parse accepts", arguments: [
    ("filename Y2xpcC5tcDQ=", [("filename", "clip.mp4")]),
    ("filename Y2xpcC5tcDQ=, filetype dmlkZW8vbXA0", [("filename", "clip.mp4"), ("filetype", "video/mp4")]),
    ("is_confidential", [("is_confidential", "")]),
    ("a YQ==,,b Yg==", [("a", "a"), ("b", "b")]),
    ("  a   YQ==  ", [("a", "a")]),
])
func tusMetadataParseAccepts(_ header: String, _ pairs: [(String, String)]) throws {
    let parsed = try #require(TusMetadata.parse(header))
    #expect(parsed.pairs.map(\.key) == pairs.map(\.0))
    #expect(parsed.pairs.map(\.value) == pairs.map(\.1))
}

@Test("TusMetadata.parse rejects malformed", arguments: [
    "key a b",          // three parts
    "key !!!!",         // not base64
    "key YQ",           // unpadded
    "key YQ=",          // bad length
    "key /w==",         // 0xFF: not UTF-8
    "a YQ==, ",         // an empty item that is only spaces
    " ",
    "key Y Q==",
])
func tusMetadataParseRejects(_ header: String) {
    #expect(TusMetadata.parse(header) == nil)
}

@Test("TusMetadata subscript: first pair wins, missing key nil")
func tusMetadataSubscript() {
    let metadata = TusMetadata([("a", "1"), ("b", "2"), ("a", "3")])
    #expect(metadata["a"] == "1")
    #expect(metadata["b"] == "2")
    #expect(metadata["c"] == nil)
    #expect(TusMetadata([("a", "1")]) != TusMetadata([("a", "2")]))
    #expect(TusMetadata([("a", "1")]) != TusMetadata([("b", "1")]))
}

// MARK: - Base64

@Test("Base64 RFC 4648 §10 test vectors", arguments: [
    ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
    ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
])
func base64Vectors(_ plain: String, _ encoded: String) {
    #expect(Base64.encode(plain.utf8) == encoded)
    #expect(Base64.decode(encoded) == Array(plain.utf8))
}

@Test("Base64 binary values use + and /", arguments: [
    ([UInt8]([0xFB, 0xFF]), "+/8="), ([0xFF, 0xFF, 0xFF], "////"), ([0x00], "AA=="),
    ([0x00, 0x00, 0x00], "AAAA"), ([0xF8], "+A=="), ([0x14, 0xFB, 0x9C, 0x03, 0xD9, 0x7E], "FPucA9l+"),
])
func base64Binary(_ bytes: [UInt8], _ encoded: String) {
    #expect(Base64.encode(bytes) == encoded)
    #expect(Base64.decode(encoded) == bytes)
}

@Test("Base64.decode rejects", arguments: [
    "Zg", "Zg=", "Zm9vY", "Z===", "=Zg=", "==Zg", "Zg=a", "Zg==Zg==", "Zm9-", "Zm9_",
    "Zm 9", "Zm9v\n", " Zm9v", "Zm9v====", "Zm9vä===", "Zg==\r\n", "Zm9v!",
])
func base64Rejects(_ text: String) {
    #expect(Base64.decode(text) == nil)
}

/// TransferSplitMix64: a small seeded generator so the property loops repeat exactly.
struct TransferSplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test("Base64 round trips random bytes", arguments: [UInt64(1), 42, 2026])
func base64RoundTripRandom(_ seed: UInt64) {
    var rng = TransferSplitMix64(seed: seed)
    for _ in 0..<2_000 {
        let count = Int.random(in: 0...64, using: &rng)
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let encoded = Base64.encode(bytes)
        #expect(encoded.utf8.count == (count + 2) / 3 * 4)
        #expect(Base64.decode(encoded) == bytes)
    }
}

@Test("Base64.decode never crashes on random input", arguments: [UInt64(7), 99, 31337])
func base64DecodeRandomInput(_ seed: UInt64) {
    var rng = TransferSplitMix64(seed: seed)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
    for round in 0..<5_000 {
        let count = Int.random(in: 0...24, using: &rng)
        let bytes: [UInt8] = (0..<count).map { _ in
            // Mostly base64 characters, so that some inputs are valid; sometimes anything.
            round % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let decoded = Base64.decode(text) else { continue }
        let utf8 = Array(text.utf8)
        let padding = utf8.reversed().prefix { $0 == 61 }.count
        #expect(utf8.count % 4 == 0)
        #expect(padding <= 2)
        #expect(decoded.count == utf8.count / 4 * 3 - padding)
    }
}
