// libFuzzer target: manifest.csv parsing (CSVReader + Manifest) and lookups against the result.
// The FuzzManifest target: it links UploaderCore, built by scripts/fuzz with -sanitize=fuzzer,address.

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let manifest = try? Manifest.parse(bytes) else { return 0 }
    _ = manifest.count
    for probe in ["a.mp4", "8711-305/1234/a.mp4", "./8711-305\\1234\\A.MP4", "", "/", "x/../y", "é/É.mov"] {
        _ = manifest.lookup(relativePath: probe)
    }
    // Every entry must be found again by its own (normalised) path, with its own labels,
    // and by its case-folded spelling (the lookup may then answer a conflict, but must not trap).
    for entry in manifest.pathEntries.values.prefix(50) {
        switch manifest.lookup(relativePath: entry.file) {
        case .success(let found?):
            check(found.candidate == entry.candidate && found.unit == entry.unit,
                         "lookup(\(entry.file.debugDescription)) returned other labels")
        case .success(nil), .failure:
            fail("lookup(\(entry.file.debugDescription)) did not find its own path entry")
        }
        _ = manifest.lookup(relativePath: entry.file.uppercased())
        _ = manifest.lookup(relativePath: "other/" + entry.file)
    }
    for entry in manifest.nameEntries.values.prefix(50) {
        _ = manifest.lookup(relativePath: entry.file)
        _ = manifest.lookup(relativePath: "some/folder/" + entry.file.lowercased())
    }
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
