/// JSON text written straight into bytes, for the status file (10,000 items every second) and
/// `status --json`: no tree of values in between, so writing costs the text and nothing more.
/// Keys are written in the order the caller gives them; callers give them sorted.
///
/// Compact output is what `JSONEncoder` with `.sortedKeys` writes; pretty output is what
/// `JSONSerialization` with `.prettyPrinted` writes (two spaces, `"key" : value`).
struct JSONWriter {
    struct Options {
        var pretty = false
        /// "/" as "\/", as `JSONEncoder` writes it unless told otherwise.
        var escapeSlashes = true
    }

    private(set) var bytes: [UInt8] = []
    private let options: Options
    private var depth = 0
    /// Whether the container being written has had a member yet.
    private var hasMember = false
    /// A key was just written: its value follows without a separator.
    private var afterKey = false

    init(_ options: Options = Options(), capacity: Int = 0) {
        self.options = options
        bytes.reserveCapacity(capacity)
    }

    /// Hands the text written so far to `sink` and forgets it, once there is at least `atLeast`
    /// of it: a caller streaming a large document calls this between members, so that only a
    /// piece of it is ever in memory.
    mutating func drain(atLeast: Int = 64 << 10, into sink: ([UInt8]) -> Void) {
        guard bytes.count >= atLeast else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Containers

    mutating func object(_ members: (inout JSONWriter) -> Void) {
        open(UInt8(ascii: "{"))
        members(&self)
        close(UInt8(ascii: "}"))
    }

    mutating func array(_ elements: (inout JSONWriter) -> Void) {
        open(UInt8(ascii: "["))
        elements(&self)
        close(UInt8(ascii: "]"))
    }

    mutating func key(_ name: String) {
        separate()
        writeString(name)
        if options.pretty { append(" : ") } else { bytes.append(UInt8(ascii: ":")) }
        afterKey = true
    }

    // MARK: - Values

    mutating func string(_ value: String) {
        separate()
        writeString(value)
    }

    mutating func int<T: BinaryInteger>(_ value: T) {
        separate()
        append(String(value))
    }

    /// Finite numbers only (the caller leaves a non-finite one out); "2", not "2.0".
    mutating func double(_ value: Double) {
        separate()
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        append(text)
    }

    mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
    }

    // Members whose value may be absent: nothing at all is written for nil, as `encodeIfPresent`.

    mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func member<T: BinaryInteger>(_ name: String, _ value: T?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    mutating func member(_ name: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        key(name)
        double(value)
    }

    // MARK: - Text

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        hasMember = false
        if options.pretty { bytes.append(UInt8(ascii: "\n")) }
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if options.pretty {
            bytes.append(UInt8(ascii: "\n"))
            indent()
        }
        bytes.append(bracket)
        hasMember = true
    }

    /// Before a key or a value: nothing after a key, else a comma after an earlier member and
    /// (pretty) the indentation.
    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        if hasMember {
            bytes.append(UInt8(ascii: ","))
            if options.pretty { bytes.append(UInt8(ascii: "\n")) }
        }
        hasMember = true
        if options.pretty { indent() }
    }

    private mutating func indent() {
        for _ in 0..<depth { append("  ") }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "/") where options.escapeSlashes: append("\\/")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
