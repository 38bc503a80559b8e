/// A request the transfer layer sends, independent of libcurl.
package struct HTTPRequest: Sendable {
    package enum Method: String, Sendable {
        case options = "OPTIONS", head = "HEAD", post = "POST", patch = "PATCH", delete = "DELETE"
        case get = "GET", put = "PUT"
    }

    /// Bytes to stream as the body, read from a file descriptor with `pread`: never buffered whole.
    package struct FileRange: Sendable {
        let fd: Int32
        let offset: Int64
        let length: Int64
    }

    var method: Method
    var url: String
    var headers: [(name: String, value: String)] = []
    var body: FileRange? = nil
    /// A small body from memory (an S3 CompleteMultipartUpload document), sent with POST.
    var bytes: [UInt8]? = nil
    /// How much of the response body is kept: a few KiB for messages, more for a listing.
    var keptResponseBytes: Int = 16 * 1024

    package init(method: Method, url: String, headers: [(name: String, value: String)] = [], body: FileRange? = nil, bytes: [UInt8]? = nil, keptResponseBytes: Int = 16 * 1024) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bytes = bytes
        self.keptResponseBytes = keptResponseBytes
    }
}

/// A response: status, headers (names lower-cased; the last of a repeated header wins) and the
/// first few kilobytes of the body, kept for error messages.
package struct HTTPResponse: Sendable {
    package var status: Int
    var headers: [String: String]
    var body: [UInt8]
    /// For requests with a body: seconds from the start until libcurl took the body's last
    /// byte, and from then until the response was complete (the pause before the next chunk).
    var sendSeconds: Double = 0
    var waitSeconds: Double = 0

    subscript(header name: String) -> String? { headers[name.lowercased()] }

    var bodyText: String {
        String(decoding: body.prefix(300), as: UTF8.self)
            .filter { !$0.isNewline }
    }
}

/// How one request went wrong below HTTP: the link, the name, TLS, a stall, a cancellation.
package struct TransportError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case network, timeout, tls, cancelled, local
        /// Not sent: the URL's origin is not one the config trusts.
        case refusedOrigin
    }
    let kind: Kind
    package let message: String
    /// Bytes of the request body that libcurl had sent when it failed.
    let bytesSent: Int64
    package var description: String { message }
}

/// Parses header lines as they arrive ("Name: value\r\n"), trimming on UTF-8 bytes: in Swift
/// "\r\n" is a single Character, so trimming Characters would leave values unparseable.
struct HeaderLineParser {
    private(set) var headers: [String: String] = [:]
    private(set) var status: Int? = nil

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>) {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        if end == 0 { return }
        let bytes = UnsafeBufferPointer(rebasing: line[0..<end])
        // A status line starts a new response (after 100 Continue or a redirect): forget the old headers.
        if end >= 5, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50, bytes[4] == 0x2F {
            headers = [:]
            let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ", maxSplits: 2)
            status = parts.count >= 2 ? Int(parts[1]) : nil
            return
        }
        guard let colon = bytes.firstIndex(of: 0x3A) else { return }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<colon]), as: UTF8.self).lowercased()
        var start = colon + 1
        var stop = end
        while start < stop, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while stop > start, bytes[stop - 1] == 0x20 || bytes[stop - 1] == 0x09 { stop -= 1 }
        headers[name.trimmingASCIIWhitespace()] = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self)
    }

    mutating func consume(_ line: [UInt8]) {
        line.withUnsafeBufferPointer { consume($0) }
    }
}

extension String {
    package func trimmingASCIIWhitespace() -> String {
        var utf8 = Substring(self).utf8[...]
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        return String(Substring(utf8))
    }
}
