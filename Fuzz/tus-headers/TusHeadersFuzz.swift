// libFuzzer target: what a tus server (or anything posing as one) sends back in response headers:
// HeaderLineParser on raw lines, TusCapabilities, Upload-Metadata, base64, Location resolution;
// plus ContentSniffer on the same bytes as a file head.
// The FuzzTusHeaders target: it links UploaderCurl (and what that links: libcurl for the URL API),
// built by scripts/fuzz with -sanitize=fuzzer,address.

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderCore
@testable import UploaderCurl

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)

    // Lines as libcurl's header callback hands them over: each ends with its "\n" (if any).
    var parser = HeaderLineParser()
    var start = 0
    for i in 0..<size where input[i] == 0x0A {
        parser.consume(UnsafeBufferPointer(rebasing: input[start...i]))
        start = i + 1
    }
    if start < size { parser.consume(Array(input[start..<size])) }
    _ = parser.status

    let headers = parser.headers
    let capabilities = TusCapabilities(headers: headers)
    _ = capabilities.supportsTermination
    _ = capabilities.checksumAlgorithm
    _ = HTTPResponse(status: parser.status ?? 0, headers: headers, body: Array(input.prefix(512))).bodyText

    for (name, value) in headers.prefix(32) {
        _ = name.trimmingASCIIWhitespace()
        if let metadata = TusMetadata.parse(value) {
            // What we parse we can write back, and it reads the same.
            check(TusMetadata.parse(metadata.headerValue) == metadata, "Upload-Metadata round trip changed")
            _ = metadata["filename"]
        }
        // (Decoding is lenient about the unused bits before "=": "AB==" and "AA==" both give [0],
        // so decode-then-encode is not checked; encode-then-decode is, below.)
        if let decoded = Base64.decode(value) {
            check(decoded.count == value.utf8.count / 4 * 3 - value.utf8.suffix(2).filter { $0 == 61 }.count,
                  "base64 decoded to the wrong number of bytes")
        }
        _ = URLResolution.resolve(value, against: "http://127.0.0.1:8088/files/")
        _ = URLResolution.resolve(value, against: "https://portal.example.org/api/v1/uploads?x=1#f")
        _ = URLResolution.resolve("/files/abc", against: value)
        _ = URLResolution.resolve("abc", against: value)
        _ = URLResolution.resolve(name, against: value)
    }
    let raw = String(decoding: input, as: UTF8.self)
    _ = TusMetadata.parse(raw)
    _ = Base64.decode(raw)
    check(Base64.decode(Base64.encode(input)) == Array(input), "base64 round trip changed the bytes")
    _ = URLResolution.resolve(raw, against: "http://127.0.0.1:8088/files/")

    let kind = ContentSniffer.sniff(Array(input.prefix(ContentSniffer.headLength)))
    _ = ContentSniffer.mimeType(of: kind, fileName: "clip.wmv")
    return 0
}

/// `precondition` drops its message in optimised builds; this one prints it first.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func fail(_ message: String) -> Never {
    print("fuzz invariant failed: \(message)")
    fatalError(message)
}
#endif
