// libFuzzer target: the config file parser (TOML subset, then the config decoder), and the promise
// that `rendered()` parses back to the same config.
// The FuzzConfig target: it links UploaderConfig (and what that links), built by scripts/fuzz with
// -sanitize=fuzzer,address.

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = TOMLParser.parse(bytes)
    _ = try? Config.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz", baseDirectory: "/")
    // The byte path too: invalid UTF-8 reaches the parser unrepaired here.
    guard let config = try? Config.parse(bytes: bytes, source: "fuzz", baseDirectory: "/srv/evidence") else { return 0 }
    let rendered = config.rendered()
    let again: Config
    do {
        again = try Config.parse(rendered, source: "rendered", baseDirectory: "/elsewhere")
    } catch {
        fail("rendered() of an accepted config does not parse: \(error)\n--- rendered:\n\(rendered)")
    }
    check(again == config, "rendered() parses back to a different config\n--- rendered:\n\(rendered)")
    check(again.rendered() == rendered, "rendering is not stable")
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
