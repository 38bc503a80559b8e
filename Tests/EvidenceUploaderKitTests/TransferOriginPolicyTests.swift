@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl

/// Which upload URLs a portal may hand out, and who sees the credentials: one row per case.
@Suite("Transfer origin policy")
struct TransferOriginPolicyTests {
    static let portal = "https://portal.example/files/"
    static let policy = OriginPolicy(portalURLs: [portal, "https://large.example:8443/tus/"],
                                     uploadOrigins: ["https://store.example"], credentialsToUploads: false)

    @Test("a Location is used only on a trusted origin", arguments: [
        ("/files/abc", nil),
        ("abc", nil),
        ("https://portal.example/files/abc", nil),
        ("https://PORTAL.example:443/files/abc", nil),
        ("//portal.example/files/abc", nil),
        ("https://large.example:8443/x", nil),
        ("https://store.example/bucket/abc", nil),
        ("https://evil.example/files/abc", "another origin (https://evil.example:443)"),
        ("//evil.example/files/abc", "another origin (https://evil.example:443)"),
        ("https://portal.example:8443/files/abc", "another origin (https://portal.example:8443)"),
        ("http://portal.example/files/abc", "downgrade from https to http"),
        ("http://store.example/abc", "downgrade from https to http"),
        ("https://user:pw@portal.example/files/abc", "user name or password"),
        ("https://user@portal.example/files/abc", "user name or password"),
    ] as [(String, String?)])
    func location(_ location: String, _ refusedBecause: String?) throws {
        let creation = try #require(ParsedURL.parse(Self.portal))
        let upload = try #require(ParsedURL.resolve(location, against: Self.portal))
        let refusal = Self.policy.refusal(of: upload, createdAt: creation)
        if let refusedBecause {
            #expect(refusal?.contains(refusedBecause) == true, "\(refusal ?? "accepted")")
        } else {
            #expect(refusal == nil)
        }
    }

    @Test("credentials go to the portal's origins only, unless upload origins are allowed them")
    func credentials() throws {
        let portal = try #require(ParsedURL.parse("https://portal.example/files/x")).origin
        let large = try #require(ParsedURL.parse("https://large.example:8443/")).origin
        let store = try #require(ParsedURL.parse("https://store.example/b/k")).origin
        let evil = try #require(ParsedURL.parse("https://evil.example/")).origin
        #expect(Self.policy.mayAuthenticate(portal) && Self.policy.mayAuthenticate(large))
        #expect(!Self.policy.mayAuthenticate(store) && Self.policy.mayContact(store))
        #expect(!Self.policy.mayAuthenticate(evil) && !Self.policy.mayContact(evil))
        let generous = OriginPolicy(portalURLs: [Self.portal], uploadOrigins: ["https://store.example"], credentialsToUploads: true)
        #expect(generous.mayAuthenticate(store) && !generous.mayAuthenticate(evil))
    }

    @Test("a config URL that does not parse trusts nothing")
    func unparseable() throws {
        let policy = OriginPolicy(portalURLs: ["not a url"], uploadOrigins: [], credentialsToUploads: false)
        let any = try #require(ParsedURL.parse("https://portal.example/")).origin
        #expect(!policy.mayContact(any) && !policy.mayAuthenticate(any))
    }

    @Test("origins name the default port and lower-case the host", arguments: [
        ("https://Portal.Example/files/", "https://portal.example:443"),
        ("http://127.0.0.1:8088/files/", "http://127.0.0.1:8088"),
        ("http://[::1]/files/", "http://[::1]:80"),
    ])
    func originText(_ url: String, _ expected: String) throws {
        #expect(try #require(ParsedURL.parse(url)).origin.description == expected)
    }

    @Test("not http(s), or no host: not a URL the client uses", arguments: [
        "ftp://portal.example/", "file:///etc/passwd", "portal.example/files", "", "https://", "https://exa mple.org/",
    ])
    func unusable(_ url: String) {
        #expect(ParsedURL.parse(url) == nil)
    }
}
