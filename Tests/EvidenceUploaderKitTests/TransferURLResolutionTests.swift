@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

@Test("URLResolution.resolve", arguments: [
    // Absolute.
    ("https://other.example/files/x", "https://portal.example/files/", "https://other.example/files/x"),
    ("http://plain.example/y", "https://portal.example/files/", "http://plain.example/y"),
    // Host-relative.
    ("/files/abc", "https://portal.example/files/", "https://portal.example/files/abc"),
    ("/files/abc", "https://portal.example:8443/api/tus/", "https://portal.example:8443/files/abc"),
    ("/files/abc", "http://portal.example/files", "http://portal.example/files/abc"),
    ("/files/abc", "https://portal.example", "https://portal.example/files/abc"),
    // Relative.
    ("abc", "https://portal.example/files/", "https://portal.example/files/abc"),
    ("abc", "https://portal.example/files", "https://portal.example/abc"),
    ("abc", "https://portal.example/api/tus/files/", "https://portal.example/api/tus/files/abc"),
    ("abc", "https://portal.example", "https://portal.example/abc"),
    ("abc?token=1", "https://portal.example/files/", "https://portal.example/files/abc?token=1"),
    // Network-path reference.
    ("//cdn.example/x", "https://portal.example/files/", "https://cdn.example/x"),
    ("//cdn.example/x", "http://portal.example/files/", "http://cdn.example/x"),
    // Base with a query or fragment.
    ("abc", "https://portal.example/files/?centre=12345", "https://portal.example/files/abc"),
    ("abc", "https://portal.example/files?centre=12345", "https://portal.example/abc"),
    ("/files/abc", "https://portal.example/api/?centre=1&x=/y", "https://portal.example/files/abc"),
    ("abc", "https://portal.example/files/#top", "https://portal.example/files/abc"),
    ("abc", "https://portal.example/a/b?x=/c/d", "https://portal.example/a/abc"),
])
func urlResolution(_ location: String, _ base: String, _ expected: String) {
    #expect(URLResolution.resolve(location, against: base) == expected)
}

@Test("URLResolution: a query right after the authority ends the authority",
      arguments: [
    ("/files/abc", "https://portal.example?centre=1", "https://portal.example/files/abc"),
    ("abc", "https://portal.example?centre=1", "https://portal.example/abc"),
])
func urlResolutionQueryAfterAuthority(_ location: String, _ base: String, _ expected: String) {
    #expect(URLResolution.resolve(location, against: base) == expected)
}
