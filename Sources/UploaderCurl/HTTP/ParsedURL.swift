import CCurl

/// An absolute http(s) URL as libcurl's URL API (CURLU) reads it: the one URL parser of the
/// program, so what is checked is exactly what libcurl will connect to.
package struct ParsedURL: Sendable, Equatable {
    /// The normalised absolute URL.
    let text: String
    package let origin: Origin
    /// A user name or password inside the URL ("https://user:pw@host/").
    let hasUserInfo: Bool

    /// An absolute http or https URL, or nil.
    package static func parse(_ text: String) -> ParsedURL? {
        CurlURLHandle()?.set(text).flatMap { $0.parsed() }
    }

    /// `reference` (absolute, host-relative, relative or network-path) resolved against `base`
    /// (RFC 3986 §5.2, done by libcurl), or nil when either is not a usable URL.
    static func resolve(_ reference: String, against base: String) -> ParsedURL? {
        guard let handle = CurlURLHandle()?.set(base), handle.set(reference) != nil else { return nil }
        return handle.parsed()
    }
}

/// `Location` resolution for the tus client and its tests: the resolved URL, or the reference
/// unchanged when libcurl cannot read it (the origin check then refuses it).
enum URLResolution {
    static func resolve(_ location: String, against base: String) -> String {
        ParsedURL.resolve(location, against: base)?.text ?? location
    }
}

/// One CURLU handle, freed with its owner.
private final class CurlURLHandle {
    private let handle: OpaquePointer

    init?() {
        guard let handle = curl_url() else { return nil }
        self.handle = handle
    }

    deinit { curl_url_cleanup(handle) }

    /// Sets (or, with a handle already holding a URL, resolves) a URL; nil when libcurl refuses it.
    func set(_ url: String) -> CurlURLHandle? {
        guard !url.utf8.contains(0) else { return nil }
        return curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK ? self : nil
    }

    func parsed() -> ParsedURL? {
        guard let scheme = get(CURLUPART_SCHEME)?.lowercased(), scheme == "http" || scheme == "https",
              let host = get(CURLUPART_HOST)?.lowercased(), !host.isEmpty,
              let portText = get(CURLUPART_PORT, flags: UInt32(CURLU_DEFAULT_PORT)), let port = Int(portText),
              let text = get(CURLUPART_URL)
        else { return nil }
        let hasUserInfo = get(CURLUPART_USER) != nil || get(CURLUPART_PASSWORD) != nil || get(CURLUPART_OPTIONS) != nil
        return ParsedURL(text: text, origin: Origin(scheme: scheme, host: host, port: port), hasUserInfo: hasUserInfo)
    }

    private func get(_ part: CURLUPart, flags: UInt32 = 0) -> String? {
        var out: UnsafeMutablePointer<CChar>? = nil
        guard curl_url_get(handle, part, &out, flags) == CURLUE_OK, let out else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }
}
