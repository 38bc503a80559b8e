import UploaderCore
import UploaderSystem

/// What every request of one client shares: credentials, TLS, proxy, stall detection, rate cap.
package struct HTTPClientSettings: Sendable {
    /// Which origins may be contacted, and which may see the credentials.
    package var origins: OriginPolicy = .anyOrigin
    package var username: String? = nil
    package var password: String? = nil
    /// libcurl's AWS Signature V4 provider string ("aws:amz:eu-west-2:s3"): requests are signed
    /// with `username` (the access key id) and `password` (the secret) instead of Basic auth.
    package var awsSigV4: String? = nil
    /// Extra CA bundle, added to the system's; verification is always on.
    package var caFile: String? = nil
    /// libcurl's "sha256//..." form.
    package var pinnedPublicKey: String? = nil
    /// Empty = libcurl's usual `https_proxy`/`no_proxy` environment.
    package var proxy: String? = nil
    /// Abort a request that moves no byte for this long.
    package var lowSpeedTimeSeconds: Int = 60
    package var connectTimeoutSeconds: Int = 30
    /// Shared across transfers: caps the total rate of all request bodies.
    package var rateLimiter: RateLimiter? = nil
    /// Raised for a graceful stop: a request aborts at its next progress callback.
    package var stop: StopSignal? = nil
    var userAgent: String = "evidence-uploader/\(EvidenceUploaderVersion.current)"

    package init(origins: OriginPolicy = .anyOrigin, username: String? = nil, password: String? = nil, awsSigV4: String? = nil, caFile: String? = nil, pinnedPublicKey: String? = nil, proxy: String? = nil, lowSpeedTimeSeconds: Int = 60, connectTimeoutSeconds: Int = 30, rateLimiter: RateLimiter? = nil, stop: StopSignal? = nil, userAgent: String = "evidence-uploader/\(EvidenceUploaderVersion.current)") {
        self.origins = origins
        self.username = username
        self.password = password
        self.awsSigV4 = awsSigV4
        self.caFile = caFile
        self.pinnedPublicKey = pinnedPublicKey
        self.proxy = proxy
        self.lowSpeedTimeSeconds = lowSpeedTimeSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.rateLimiter = rateLimiter
        self.stop = stop
        self.userAgent = userAgent
    }
}
