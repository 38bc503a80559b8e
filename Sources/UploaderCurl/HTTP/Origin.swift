/// Where a request goes, as far as trust is concerned: scheme, host and port (RFC 6454). Two URLs
/// of one origin are one party; credentials and evidence go only to the origins the centre named.
package struct Origin: Sendable, Hashable, CustomStringConvertible {
    /// Lower case: "https" or "http".
    let scheme: String
    /// Lower case; an IPv6 address keeps its brackets.
    let host: String
    /// Always explicit: 443 for https unless the URL said otherwise.
    let port: Int

    var isSecure: Bool { scheme == "https" }

    /// "https://portal.example.org:443": the form config keys and messages use.
    package var description: String { "\(scheme)://\(host):\(port)" }
}

/// Which origins the daemon may talk to and which of them may see the centre's credentials. Built
/// once from the config; `CurlConnection` consults it for every request, so no request (and no
/// evidence byte) reaches an origin outside it, whatever URL a portal hands out.
package struct OriginPolicy: Sendable, Equatable {
    /// The origins of the configured `url` and `large_file_url`.
    let portal: Set<Origin>
    /// `[portal] upload_origins`: where a portal may send uploads (a storage host of its own).
    let uploads: Set<Origin>
    /// `[portal] send_credentials_to_upload_origins`.
    let credentialsToUploads: Bool

    /// False only for `anyOrigin`.
    let restricts: Bool

    package init(portal: Set<Origin>, uploads: Set<Origin> = [], credentialsToUploads: Bool = false) {
        self.portal = portal
        self.uploads = uploads
        self.credentialsToUploads = credentialsToUploads
        restricts = true
    }

    /// From the config's URLs; a URL that does not parse adds nothing (so it trusts nothing).
    package init(portalURLs: [String], uploadOrigins: [String], credentialsToUploads: Bool) {
        self.init(portal: Set(portalURLs.compactMap { ParsedURL.parse($0)?.origin }),
                  uploads: Set(uploadOrigins.compactMap { ParsedURL.parse($0)?.origin }),
                  credentialsToUploads: credentialsToUploads)
    }

    private init() {
        portal = []
        uploads = []
        credentialsToUploads = false
        restricts = false
    }

    /// No restriction: for a client that talks only to URLs it was given (unit tests, tools).
    static let anyOrigin = OriginPolicy()

    package func mayContact(_ origin: Origin) -> Bool {
        !restricts || portal.contains(origin) || uploads.contains(origin)
    }

    func mayAuthenticate(_ origin: Origin) -> Bool {
        !restricts || portal.contains(origin) || (credentialsToUploads && uploads.contains(origin))
    }

    /// Why an upload URL a portal named (a `Location`) must not be used, or nil when it may.
    /// `creation` is the URL the upload was created at.
    func refusal(of upload: ParsedURL, createdAt creation: ParsedURL) -> String? {
        if upload.hasUserInfo {
            return "the portal's upload URL carries a user name or password (\(upload.origin)); it is not used"
        }
        if creation.origin.isSecure && !upload.origin.isSecure {
            return "the portal's upload URL would downgrade from https to http (\(creation.origin) to \(upload.origin)); evidence is never sent unencrypted"
        }
        guard mayContact(upload.origin) else {
            return "the portal's upload URL is on another origin (\(upload.origin)) than the portal (\(creation.origin)); evidence and credentials go only to the portal's origin. If the portal really keeps uploads there, add \"\(upload.origin)\" to [portal] upload_origins"
        }
        return nil
    }
}
