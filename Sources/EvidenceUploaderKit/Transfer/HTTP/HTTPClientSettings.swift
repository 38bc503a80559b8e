/// What every request of one client shares: credentials, TLS, proxy, stall detection, rate cap.
struct HTTPClientSettings: Sendable {
    /// Which origins may be contacted, and which may see the credentials.
    var origins: OriginPolicy = .anyOrigin
    var username: String? = nil
    var password: String? = nil
    /// libcurl's AWS Signature V4 provider string ("aws:amz:eu-west-2:s3"): requests are signed
    /// with `username` (the access key id) and `password` (the secret) instead of Basic auth.
    var awsSigV4: String? = nil
    /// Extra CA bundle, added to the system's; verification is always on.
    var caFile: String? = nil
    /// libcurl's "sha256//..." form.
    var pinnedPublicKey: String? = nil
    /// Empty = libcurl's usual `https_proxy`/`no_proxy` environment.
    var proxy: String? = nil
    /// Abort a request that moves no byte for this long.
    var lowSpeedTimeSeconds: Int = 60
    var connectTimeoutSeconds: Int = 30
    /// Shared across transfers: caps the total rate of all request bodies.
    var rateLimiter: RateLimiter? = nil
    /// Raised for a graceful stop: a request aborts at its next progress callback.
    var stop: StopSignal? = nil
    var userAgent: String = "evidence-uploader/\(EvidenceUploaderVersion.current)"
}
