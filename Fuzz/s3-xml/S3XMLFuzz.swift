// libFuzzer target: what an S3 store (or anything posing as one) answers in a body: a ListParts
// page (`S3Client.parseListParts`), CreateMultipartUpload's UploadId, an error document
// (`S3Failure.from`); S3XML's element search and entity decoding, and escaping round trips.
// The FuzzS3XML target: it links UploaderCurl (and what that links), built by scripts/fuzz with
// -sanitize=fuzzer,address.

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderCurl

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let xml = S3XML(bytes)
    for name in ["UploadId", "Code", "Message", "Part", "PartNumber", "ETag", "IsTruncated", "NextPartNumberMarker"] {
        let elements = xml.elements(name)
        check(xml.values(name).count == elements.count, "values and elements of <\(name)> differ in number")
        for element in elements {
            check(element.firstRange(of: "</\(name)>") == nil, "an element of <\(name)> runs past its own end")
        }
    }
    if let page = try? S3Client.parseListParts(bytes) {
        for part in page.parts {
            check(part.etag.hasPrefix("\""), "a listed ETag kept without its quotes")
        }
    }
    for status in [200, 400, 403, 404, 500, 503] {
        _ = S3Failure.from(status: status, response: HTTPResponse(status: status, headers: [:], body: bytes),
                           request: "ListParts", store: "fuzz").summary
    }
    // Whatever is escaped into a CompleteMultipartUpload body reads back the same.
    check(S3XML.unescape(S3XML.escape(xml.text)) == xml.text, "escape then unescape changed the text")
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
