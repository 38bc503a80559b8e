/// A small, strict parser for the TOML subset the config file uses: `[table]` headers,
/// `key = value` lines, basic and literal strings, integers, floats, booleans, arrays
/// (on one line or several), comments and blank lines.
///
/// It never traps on any input, invalid UTF-8 included: every problem becomes a `TOMLError`
/// with a line number, and parsing resumes on the next line so all problems are reported.
enum TOMLParser {
    /// Arrays nested deeper than this are refused (bounds the recursion).
    static let maxArrayDepth = 32
    /// Parsing stops after this many errors.
    static let maxErrors = 100

    static func parse(_ text: String) -> TOMLParseResult {
        parse(Array(text.utf8))
    }

    static func parse(_ bytes: [UInt8]) -> TOMLParseResult {
        var parser = Parser(bytes: bytes)
        parser.run()
        return TOMLParseResult(document: TOMLDocument(tables: parser.tables), errors: parser.errors)
    }
}

private struct Failure: Error {
    let line: Int
    let message: String
}

private enum Byte {
    static let newline = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let hash = UInt8(ascii: "#")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\")
    static let open = UInt8(ascii: "[")
    static let close = UInt8(ascii: "]")
    static let brace = UInt8(ascii: "{")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let dot = UInt8(ascii: ".")

    static func isBareKey(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }
    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
    }
    static func isValueToken(_ b: UInt8) -> Bool {
        isBareKey(b) || b == UInt8(ascii: "+") || b == dot || b == UInt8(ascii: ":")
    }
}

private struct Parser {
    let bytes: [UInt8]
    var pos = 0
    var line = 1
    var tables: [TOMLTable] = [TOMLTable(name: "", line: 0)]
    var errors: [TOMLError] = []
    var badLines: Set<Int> = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { pos >= bytes.count }
    var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }
    func peek(_ offset: Int) -> UInt8? { pos + offset < bytes.count ? bytes[pos + offset] : nil }

    mutating func run() {
        findInvalidUTF8()
        while !atEnd && errors.count < TOMLParser.maxErrors {
            skipSpaces()
            guard let c = peek else { break }
            if c == Byte.newline || c == Byte.cr {
                if !consumeNewline() { record(Failure(line: line, message: "bare carriage return; lines must end with \"\\n\" or \"\\r\\n\"")); pos += 1 }
                continue
            }
            if c == Byte.hash { skipComment(); continue }
            if badLines.contains(line) { skipRestOfLine(); continue }
            do {
                if c == Byte.open { try parseHeader() } else { try parseKeyValue() }
                try expectLineEnd()
            } catch {
                record(error)
                skipRestOfLine()
            }
        }
    }

    mutating func record(_ failure: Failure) {
        guard errors.count < TOMLParser.maxErrors else { return }
        errors.append(TOMLError(line: failure.line, message: failure.message))
    }

    mutating func findInvalidUTF8() {
        var lineNumber = 1
        var start = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == Byte.newline {
                var iterator = bytes[start..<index].makeIterator()
                var decoder = UTF8()
                decode: while true {
                    switch decoder.decode(&iterator) {
                    case .scalarValue: continue
                    case .emptyInput: break decode
                    case .error:
                        badLines.insert(lineNumber)
                        errors.append(TOMLError(line: lineNumber, message: "invalid UTF-8 byte sequence"))
                        break decode
                    }
                }
                lineNumber += 1
                start = index + 1
            }
            index += 1
        }
    }

    // MARK: whitespace, comments, line ends

    mutating func skipSpaces() {
        while let c = peek, c == Byte.space || c == Byte.tab { pos += 1 }
    }

    mutating func skipComment() {
        while let c = peek, c != Byte.newline { pos += 1 }
    }

    /// Consumes "\n" or "\r\n"; false for a lone "\r".
    mutating func consumeNewline() -> Bool {
        if peek == Byte.newline { pos += 1; line += 1; return true }
        if peek == Byte.cr && peek(1) == Byte.newline { pos += 2; line += 1; return true }
        return false
    }

    mutating func skipRestOfLine() {
        while let c = peek, c != Byte.newline { pos += 1 }
    }

    mutating func expectLineEnd() throws(Failure) {
        skipSpaces()
        if peek == Byte.hash { skipComment() }
        guard let c = peek else { return }
        if c == Byte.newline || (c == Byte.cr && peek(1) == Byte.newline) { return }
        if c == Byte.cr { throw Failure(line: line, message: "bare carriage return; lines must end with \"\\n\" or \"\\r\\n\"") }
        throw Failure(line: line, message: "unexpected text \(restOfLineSnippet().debugQuoted) after the value; allowed: a comment starting with \"#\"")
    }

    func restOfLineSnippet() -> String {
        var end = pos
        while end < bytes.count && bytes[end] != Byte.newline && end - pos < 30 { end += 1 }
        return String(decoding: bytes[pos..<end], as: UTF8.self)
    }

    // MARK: tables and keys

    mutating func parseHeader() throws(Failure) {
        let headerLine = line
        pos += 1
        if peek == Byte.open {
            throw Failure(line: line, message: "arrays of tables ([[...]]) are not supported")
        }
        skipSpaces()
        // Dotted names (`[destination.cityandguilds]`) name a table inside a table; kept whole
        // as "destination.cityandguilds", which is all the config needs.
        var name = try parseKey(what: "table name")
        skipSpaces()
        while peek == Byte.dot {
            pos += 1
            skipSpaces()
            name += "." + (try parseKey(what: "table name after \".\""))
            skipSpaces()
        }
        guard peek == Byte.close else {
            throw Failure(line: line, message: "expected \"]\" to close the table header [\(name)")
        }
        pos += 1
        if let first = tables.first(where: { $0.name == name && $0.line > 0 }) {
            throw Failure(line: headerLine, message: "duplicate table [\(name)] (first defined on line \(first.line))")
        }
        tables.append(TOMLTable(name: name, line: headerLine))
    }

    mutating func parseKey(what: String) throws(Failure) -> String {
        guard let c = peek else { throw Failure(line: line, message: "expected a \(what)") }
        if c == Byte.quote {
            if peek(1) == Byte.quote && peek(2) == Byte.quote {
                throw Failure(line: line, message: "multi-line strings are not supported")
            }
            return try parseBasicString()
        }
        if c == Byte.apostrophe { return try parseLiteralString() }
        let start = pos
        while let b = peek, Byte.isBareKey(b) { pos += 1 }
        guard pos > start else {
            throw Failure(line: line, message: "expected a \(what), found \(restOfLineSnippet().debugQuoted); allowed: letters, digits, \"_\" and \"-\"")
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func parseKeyValue() throws(Failure) {
        let keyLine = line
        let key = try parseKey(what: "key")
        skipSpaces()
        if peek == Byte.dot { throw Failure(line: line, message: "dotted keys are not supported") }
        guard peek == Byte.equals else {
            throw Failure(line: line, message: "expected \"=\" after the key \(key.debugQuoted)")
        }
        pos += 1
        skipSpaces()
        let table = tables.count - 1
        let value: TOMLValue
        do {
            value = try parseValue(depth: 0)
        } catch {
            tables[table].damagedKeys.append(key)
            throw error
        }
        if let first = tables[table].entry(key) {
            let place = tables[table].name.isEmpty ? "" : " in [\(tables[table].name)]"
            throw Failure(line: keyLine, message: "duplicate key \(key.debugQuoted)\(place) (first defined on line \(first.line))")
        }
        tables[table].entries.append(TOMLEntry(key: key, value: value, line: keyLine))
    }

    // MARK: values

    mutating func parseValue(depth: Int) throws(Failure) -> TOMLValue {
        guard let c = peek, c != Byte.newline, c != Byte.cr, c != Byte.hash else {
            throw Failure(line: line, message: "expected a value")
        }
        switch c {
        case Byte.quote:
            if peek(1) == Byte.quote && peek(2) == Byte.quote {
                throw Failure(line: line, message: "multi-line strings are not supported")
            }
            return .string(try parseBasicString())
        case Byte.apostrophe:
            if peek(1) == Byte.apostrophe && peek(2) == Byte.apostrophe {
                throw Failure(line: line, message: "multi-line strings are not supported")
            }
            return .string(try parseLiteralString())
        case Byte.open:
            return try parseArray(depth: depth + 1)
        case Byte.brace:
            throw Failure(line: line, message: "inline tables ({...}) are not supported")
        default:
            return try parseScalarToken()
        }
    }

    mutating func parseBasicString() throws(Failure) -> String {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek, c != Byte.newline else {
                throw Failure(line: line, message: "unterminated string; a string must end with \" on the same line")
            }
            pos += 1
            if c == Byte.quote { return String(decoding: out, as: UTF8.self) }
            if c == Byte.backslash {
                try parseEscape(into: &out)
            } else if (c < 0x20 && c != Byte.tab) || c == 0x7f {
                throw Failure(line: line, message: "control character in string; write it as an escape such as \\u001F")
            } else {
                out.append(c)
            }
        }
    }

    mutating func parseEscape(into out: inout [UInt8]) throws(Failure) {
        guard let e = peek else { throw Failure(line: line, message: "unterminated string") }
        pos += 1
        switch e {
        case UInt8(ascii: "\""): out.append(Byte.quote)
        case UInt8(ascii: "\\"): out.append(Byte.backslash)
        case UInt8(ascii: "n"): out.append(Byte.newline)
        case UInt8(ascii: "t"): out.append(Byte.tab)
        case UInt8(ascii: "r"): out.append(Byte.cr)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek, let digit = hexValue(h) else {
                    throw Failure(line: line, message: "invalid unicode escape; allowed: \\uXXXX or \\UXXXXXXXX with hex digits")
                }
                value = value << 4 | digit
                pos += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw Failure(line: line, message: "invalid unicode escape: not a Unicode scalar value")
            }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            let shown = String(decoding: [e], as: UTF8.self)
            throw Failure(line: line, message: "unknown escape \("\\" + shown); allowed: \\\" \\\\ \\n \\t \\r \\b \\f \\uXXXX \\UXXXXXXXX")
        }
    }

    func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }

    mutating func parseLiteralString() throws(Failure) -> String {
        pos += 1
        let start = pos
        while true {
            guard let c = peek, c != Byte.newline else {
                throw Failure(line: line, message: "unterminated string; a string must end with ' on the same line")
            }
            if c == Byte.apostrophe {
                let text = String(decoding: bytes[start..<pos], as: UTF8.self)
                pos += 1
                return text
            }
            if (c < 0x20 && c != Byte.tab) || c == 0x7f {
                throw Failure(line: line, message: "control character in literal string")
            }
            pos += 1
        }
    }

    mutating func skipArrayFiller() throws(Failure) {
        while let c = peek {
            if c == Byte.space || c == Byte.tab { pos += 1 }
            else if c == Byte.hash { skipComment() }
            else if c == Byte.newline || c == Byte.cr {
                guard consumeNewline() else { throw Failure(line: line, message: "bare carriage return") }
                if badLines.contains(line) { throw Failure(line: line, message: "array interrupted by a line that is not valid UTF-8") }
            } else { return }
        }
    }

    mutating func parseArray(depth: Int) throws(Failure) -> TOMLValue {
        let startLine = line
        guard depth <= TOMLParser.maxArrayDepth else {
            throw Failure(line: line, message: "arrays nested more than \(TOMLParser.maxArrayDepth) deep")
        }
        pos += 1
        var items: [TOMLValue] = []
        while true {
            try skipArrayFiller()
            guard let c = peek else {
                throw Failure(line: startLine, message: "unterminated array; expected \"]\" before the end of the file")
            }
            if c == Byte.close { pos += 1; return .array(items) }
            items.append(try parseValue(depth: depth))
            try skipArrayFiller()
            guard let d = peek else {
                throw Failure(line: startLine, message: "unterminated array; expected \"]\" before the end of the file")
            }
            if d == Byte.comma { pos += 1; continue }
            if d == Byte.close { pos += 1; return .array(items) }
            throw Failure(line: line, message: "expected \",\" or \"]\" in the array, found \(restOfLineSnippet().debugQuoted)")
        }
    }

    mutating func parseScalarToken() throws(Failure) -> TOMLValue {
        let tokenLine = line
        let start = pos
        while let b = peek, Byte.isValueToken(b) { pos += 1 }
        let token = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard !token.isEmpty else {
            throw Failure(line: line, message: "expected a value, found \(restOfLineSnippet().debugQuoted); allowed: \"string\", 'string', a number, true, false or [array]")
        }
        if token == "true" { return .boolean(true) }
        if token == "false" { return .boolean(false) }
        if let number = TOMLNumber.parse(token) { return number }
        if TOMLNumber.looksLikeDate(token) {
            throw Failure(line: tokenLine, message: "dates and times are not supported")
        }
        throw Failure(line: tokenLine, message: "invalid value \(token.debugQuoted); strings must be quoted; allowed: \"string\", 'string', a number, true, false or [array]")
    }
}
