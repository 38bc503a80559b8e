/// An RFC 4180 CSV reader over raw bytes: quoted fields ("a, b", doubled quotes, line breaks
/// inside quotes), CRLF, LF or lone CR line ends. Total on any input: it never traps, and reports
/// the line a problem starts on.
struct CSVReader {
    struct Record {
        /// The physical line (1-based) the record starts on.
        var line: Int
        var fields: [Field]
    }

    struct Field {
        var bytes: [UInt8]
        var quoted: Bool
    }

    struct Failure: Error {
        var line: Int
        var reason: String
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
        lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    static func records(_ bytes: [UInt8]) throws(Failure) -> [Record] {
        var records: [Record] = []
        var index = 0
        var line = 1
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }

        var fields: [Field] = []
        var field = Field(bytes: [], quoted: false)
        var recordLine = 1
        var atFieldStart = true

        func endRecord() {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
            fields = []
            field = Field(bytes: [], quoted: false)
            atFieldStart = true
        }

        while index < bytes.count {
            if atFieldStart {
                // Spaces before an opening quote (`a, "b, c"`) are not part of the value.
                var look = index
                while look < bytes.count, bytes[look] == UInt8(ascii: " ") || bytes[look] == UInt8(ascii: "\t") { look += 1 }
                if look < bytes.count, bytes[look] == quote { index = look }
            }
            let byte = bytes[index]
            if atFieldStart && byte == quote {
                // A quoted field: runs to the closing quote; "" is a literal quote.
                let openedOn = line
                field.quoted = true
                index += 1
                var closed = false
                while index < bytes.count {
                    let b = bytes[index]
                    if b == quote {
                        if index + 1 < bytes.count, bytes[index + 1] == quote {
                            field.bytes.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if b == lf || (b == cr && !(index + 1 < bytes.count && bytes[index + 1] == lf)) { line += 1 }
                    field.bytes.append(b)
                    index += 1
                }
                guard closed else {
                    throw Failure(line: openedOn, reason: "a quoted value is never closed (a \" is missing)")
                }
                // Only spaces may sit between the closing quote and the next comma or line end.
                while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                    index += 1
                }
                if index < bytes.count, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                    throw Failure(line: line, reason: "unexpected text after a closing quote; a quoted value must "
                        + "be followed by a comma or the end of the line (write a quote inside quotes as \"\")")
                }
                atFieldStart = false
                continue
            }
            switch byte {
            case comma:
                fields.append(field)
                field = Field(bytes: [], quoted: false)
                atFieldStart = true
                index += 1
            case lf, cr:
                endRecord()
                index += (byte == cr && index + 1 < bytes.count && bytes[index + 1] == lf) ? 2 : 1
                line += 1
                recordLine = line
            default:
                field.bytes.append(byte)
                atFieldStart = false
                index += 1
            }
        }
        if !fields.isEmpty || !field.bytes.isEmpty || field.quoted { endRecord() }
        return records
    }
}
