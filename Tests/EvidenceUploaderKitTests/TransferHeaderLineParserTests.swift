@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

struct TransferHeaderCase: Sendable, CustomStringConvertible {
    let name: String
    let lines: [String]
    let status: Int?
    let headers: [String: String]
    var description: String { name }
}

@Test("HeaderLineParser", arguments: [
    TransferHeaderCase(name: "CRLF trimmed on bytes, names lower-cased",
               lines: ["HTTP/1.1 204 No Content\r\n", "Upload-Offset: 42\r\n", "Tus-Resumable: 1.0.0\r\n", "\r\n"],
               status: 204, headers: ["upload-offset": "42", "tus-resumable": "1.0.0"]),
    TransferHeaderCase(name: "LF only", lines: ["HTTP/1.1 200 OK\n", "Upload-Offset: 5\n", "\n"],
               status: 200, headers: ["upload-offset": "5"]),
    TransferHeaderCase(name: "no line ending", lines: ["HTTP/1.1 201 Created", "Location: /files/a"],
               status: 201, headers: ["location": "/files/a"]),
    TransferHeaderCase(name: "stray CRs", lines: ["HTTP/1.1 200 OK\r\r\n", "X-A: b\r\r\n"],
               status: 200, headers: ["x-a": "b"]),
    TransferHeaderCase(name: "whitespace around values and names",
               lines: ["HTTP/1.1 200 OK\r\n", "Tus-Extension : \t creation, termination \t\r\n", "X-Tight:v\r\n"],
               status: 200, headers: ["tus-extension": "creation, termination", "x-tight": "v"]),
    TransferHeaderCase(name: "value keeps inner colons", lines: ["HTTP/1.1 201 Created\r\n", "Location: https://portal.example:8443/files/a\r\n"],
               status: 201, headers: ["location": "https://portal.example:8443/files/a"]),
    TransferHeaderCase(name: "empty value", lines: ["HTTP/1.1 200 OK\r\n", "X-Empty:\r\n", "X-Blank:   \r\n"],
               status: 200, headers: ["x-empty": "", "x-blank": ""]),
    TransferHeaderCase(name: "lines without a colon are ignored",
               lines: ["HTTP/1.1 200 OK\r\n", "garbage line\r\n", "Upload-Offset: 1\r\n", "more garbage"],
               status: 200, headers: ["upload-offset": "1"]),
    TransferHeaderCase(name: "100 Continue then 204: headers reset",
               lines: ["HTTP/1.1 100 Continue\r\n", "X-Early: 1\r\n", "\r\n",
                       "HTTP/1.1 204 No Content\r\n", "Upload-Offset: 10\r\n", "\r\n"],
               status: 204, headers: ["upload-offset": "10"]),
    TransferHeaderCase(name: "redirect then answer: headers reset",
               lines: ["HTTP/1.1 307 Temporary Redirect\r\n", "Location: https://elsewhere/\r\n", "\r\n",
                       "HTTP/2 201\r\n", "location: /files/b\r\n"],
               status: 201, headers: ["location": "/files/b"]),
    TransferHeaderCase(name: "repeated header: the last wins", lines: ["HTTP/1.1 200 OK\r\n", "X-A: 1\r\n", "x-a: 2\r\n"],
               status: 200, headers: ["x-a": "2"]),
    TransferHeaderCase(name: "no status line", lines: ["Upload-Offset: 3\r\n"], status: nil, headers: ["upload-offset": "3"]),
    TransferHeaderCase(name: "unparseable status", lines: ["HTTP/1.1 abc\r\n"], status: nil, headers: [:]),
    TransferHeaderCase(name: "nothing", lines: [], status: nil, headers: [:]),
    TransferHeaderCase(name: "only line endings", lines: ["\r\n", "\n", "\r"], status: nil, headers: [:]),
])
func headerLineParser(_ c: TransferHeaderCase) {
    var parser = HeaderLineParser()
    for line in c.lines { parser.consume(Array(line.utf8)) }
    #expect(parser.status == c.status)
    #expect(parser.headers == c.headers)
}

@Test("HeaderLineParser: an offset ending in CRLF parses as a number")
func headerLineParserOffsetNumber() throws {
    // The pitfall: "\r\n" is one Character, so Character-based trimming of "\r\n" would misbehave.
    #expect("42\r\n".count == 3)
    var parser = HeaderLineParser()
    parser.consume(Array("HTTP/1.1 204 No Content\r\n".utf8))
    parser.consume(Array("Upload-Offset: 1073741824\r\n".utf8))
    let value = try #require(parser.headers["upload-offset"])
    #expect(Int64(value) == 1_073_741_824)
}

@Test("HTTPResponse header subscript is case-insensitive; bodyText drops newlines and keeps 300 bytes")
func httpResponseHelpers() {
    let response = HTTPResponse(status: 400, headers: ["retry-after": "5"], body: Array(("x\r\ny\n" + String(repeating: "z", count: 400)).utf8))
    #expect(response[header: "Retry-After"] == "5")
    #expect(response[header: "RETRY-AFTER"] == "5")
    #expect(response[header: "location"] == nil)
    #expect(response.bodyText == "xy" + String(repeating: "z", count: 295))
}

@Test("trimmingASCIIWhitespace", arguments: [
    ("  a b  ", "a b"), ("\ta\t", "a"), ("", ""), ("   ", ""), ("a", "a"), (" é ", "é"), ("a\n", "a\n"),
])
func transferTrimmingASCIIWhitespace(_ input: String, _ expected: String) {
    #expect(input.trimmingASCIIWhitespace() == expected)
}
