@testable import EvidenceUploaderKit
import Testing
@testable import UploaderConfig

@Suite("TOML parser")
struct ConfigTOMLParserTests {
    func value(_ text: String, key: String = "k") -> TOMLValue? {
        let result = TOMLParser.parse("[t]\n\(key) = \(text)\n")
        #expect(result.errors == [], "errors for \(text)")
        return result.document.table("t")?.entry(key)?.value
    }

    static let goodValues: [(String, TOMLValue)] = [
        (#""plain""#, .string("plain")),
        (#""q\"b\\c\nd\te""#, .string("q\"b\\c\nd\te")),
        (#""caf\u00E9 \U0001F600""#, .string("café 😀")),
        (#""""#, .string("")),
        (#"'C:\path\no escapes'"#, .string(#"C:\path\no escapes"#)),
        ("42", .integer(42)),
        ("-17", .integer(-17)),
        ("+5", .integer(5)),
        ("0", .integer(0)),
        ("1_000_000", .integer(1_000_000)),
        ("0x1F", .integer(31)),
        ("0o17", .integer(15)),
        ("0b101", .integer(5)),
        ("9223372036854775807", .integer(.max)),
        ("-9223372036854775808", .integer(.min)),
        ("3.25", .float(3.25)),
        ("-0.5", .float(-0.5)),
        ("1e3", .float(1000)),
        ("6.5E+2", .float(650)),
        ("true", .boolean(true)),
        ("false", .boolean(false)),
        ("[1, 2, 3]", .array([.integer(1), .integer(2), .integer(3)])),
        ("[]", .array([])),
        (#"["a", 'b', ]"#, .array([.string("a"), .string("b")])),
        ("[[1], [2, [3]]]", .array([.array([.integer(1)]), .array([.integer(2), .array([.integer(3)])])])),
        (#""x" # a comment after the value"#, .string("x")),
        ("7    # comment", .integer(7)),
        (#""has # inside""#, .string("has # inside")),
    ]

    @Test("values parse", arguments: goodValues)
    func goodValue(text: String, expected: TOMLValue) {
        #expect(value(text) == expected)
    }

    @Test func multiLineArrayWithComments() {
        let text = """
        [t]
        list = [
          "one",   # first
          # a comment line inside
          "two",

          3,
        ]
        after = true
        """
        let result = TOMLParser.parse(text)
        #expect(result.errors == [])
        let table = result.document.table("t")
        #expect(table?.entry("list")?.value == .array([.string("one"), .string("two"), .integer(3)]))
        #expect(table?.entry("after")?.line == 9)
    }

    @Test func tablesKeysCommentsBlankLinesAndCRLF() {
        let text = "# header\r\n\r\ntop = 1\r\n[a]\r\nx = 'y'\r\n  [ b ]  # spaced header\r\n\"quoted key\" = 2\r\n"
        let result = TOMLParser.parse(text)
        #expect(result.errors == [])
        #expect(result.document.root.entry("top")?.value == .integer(1))
        #expect(result.document.table("a")?.entry("x")?.value == .string("y"))
        #expect(result.document.table("b")?.line == 6)
        #expect(result.document.table("b")?.entry("quoted key")?.value == .integer(2))
    }

    static let badDocuments: [(String, Int, String)] = [
        ("[t]\nthis is garbage\n", 2, "expected \"=\""),
        ("[t]\na = 1\na = 2\n", 3, "duplicate key \"a\" in [t] (first defined on line 2)"),
        ("[t]\n[u]\n[t]\n", 3, "duplicate table [t] (first defined on line 1)"),
        ("[t]\na = \"open\n", 2, "unterminated string"),
        ("[t]\na = 'open\n", 2, "unterminated string"),
        ("[t]\na = {x = 1}\n", 2, "inline tables ({...}) are not supported"),
        ("[t]\na.b = 1\n", 2, "dotted keys are not supported"),
        ("[t.]\n", 1, "expected a table name after \".\""),
        ("[[t]]\n", 1, "arrays of tables ([[...]]) are not supported"),
        ("[t]\nd = 1979-05-27\n", 2, "dates and times are not supported"),
        ("[t]\nd = 07:32:00\n", 2, "dates and times are not supported"),
        ("[t]\ns = \"\"\"\nx\"\"\"\n", 2, "multi-line strings are not supported"),
        ("[t]\ns = '''x'''\n", 2, "multi-line strings are not supported"),
        ("[t]\nn = 012\n", 2, "invalid value \"012\""),
        ("[t]\nn = 1__0\n", 2, "invalid value \"1__0\""),
        ("[t]\nn = 9223372036854775808\n", 2, "invalid value"),
        ("[t]\ns = \"bad \\q escape\"\n", 2, "unknown escape \\q"),
        ("[t]\ns = \"\\uD800\"\n", 2, "not a Unicode scalar value"),
        ("[t]\ns = \"\\u12\"\n", 2, "invalid unicode escape"),
        ("[t]\na = 1 2\n", 2, "unexpected text \"2\" after the value"),
        ("[t]\na = [1, 2\n", 2, "unterminated array"),
        ("[t]\na = [1 2]\n", 2, "expected \",\" or \"]\""),
        ("[t]\na = \n", 2, "expected a value"),
        ("[t]\na = bare\n", 2, "strings must be quoted"),
        ("[t\n", 1, "expected \"]\""),
        ("[]\n", 1, "expected a table name"),
        ("[t]\n= 1\n", 2, "expected a key"),
        ("[t]\na = \"ctl\u{01}\"\n", 2, "control character"),
        ("[t]\na = 1\rb = 2\n", 2, "bare carriage return"),
    ]

    @Test("syntax errors carry the line", arguments: badDocuments)
    func badDocument(text: String, line: Int, fragment: String) {
        let errors = TOMLParser.parse(text).errors
        #expect(errors.first?.line == line, "\(errors)")
        #expect(errors.first?.message.contains(fragment) == true, "\(errors)")
    }

    @Test func allErrorsAreCollectedAndGoodLinesKept() {
        let text = "[t]\ngarbage\na = 1\nb = \"unterminated\nc = 3\n??\n"
        let result = TOMLParser.parse(text)
        #expect(result.errors.map(\.line) == [2, 4, 6])
        #expect(result.document.table("t")?.entry("a")?.value == .integer(1))
        #expect(result.document.table("t")?.entry("c")?.value == .integer(3))
        #expect(result.document.table("t")?.damagedKeys == ["b"])
    }

    static let invalidUTF8: [[UInt8]] = [
        [0xff],
        [0xc3],
        [0x5b, 0x74, 0x5d, 0x0a, 0x61, 0x20, 0x3d, 0x20, 0x22, 0xe2, 0x28, 0xa1, 0x22, 0x0a],
        [0x61, 0x20, 0x3d, 0x20, 0x5b, 0x0a, 0xc0, 0xaf, 0x0a, 0x5d],
        [0xed, 0xa0, 0x80, 0x0a],
        [0xf4, 0x90, 0x80, 0x80],
        Array("[t]\nk = 'ok'\n".utf8) + [0x80, 0x80, 0x0a],
    ]

    @Test("invalid UTF-8 is an error, never a crash", arguments: invalidUTF8)
    func invalidUTF8Bytes(bytes: [UInt8]) {
        let result = TOMLParser.parse(bytes)
        #expect(result.errors.contains { $0.message == "invalid UTF-8 byte sequence" })
    }

    @Test func deepNestingIsRefused() {
        let text = "a = " + String(repeating: "[", count: 10_000)
        let result = TOMLParser.parse(text)
        #expect(result.errors.first?.message.contains("nested more than") == true)
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix(seed: 0x5eed)
        let alphabet = Array("[]{}=\"'\\#.,:+-_0123456789abcxyzeEuU \t\n\r".utf8) + [0x00, 0x7f, 0x80, 0xc3, 0xff, 0xe2]
        for _ in 0..<3000 {
            let length = Int(generator.next() % 80)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let result = TOMLParser.parse(bytes)
            #expect(result.errors.count <= TOMLParser.maxErrors)
        }
    }

    @Test func quotedStringsRoundTrip() {
        for text in ["plain", "q\"b\\c", "line\nbreak\ttab\r", "\u{01}\u{7f}", "café 😀", ""] {
            let result = TOMLParser.parse("k = \(TOMLValue.quote(text))\n")
            #expect(result.document.root.entry("k")?.value == .string(text))
        }
    }
}

/// A tiny deterministic generator so the random test is repeatable.
struct SplitMix {
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
