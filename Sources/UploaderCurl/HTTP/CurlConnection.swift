import CCurl
import CCurlShim
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// One libcurl easy handle, reused for every request of one upload so the connection (and its
/// TLS session) is kept. Not thread-safe: one transfer thread owns it. With `ParsedURL` the only
/// file that speaks libcurl; nothing libcurl leaks out of it.
package final class CurlConnection {
    private let handle: UnsafeMutableRawPointer
    let settings: HTTPClientSettings
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    /// Called on the transfer thread with the body bytes sent so far in the current request;
    /// return false to abort the request (a graceful stop).
    var onProgress: ((Int64) -> Bool)? = nil

    package init(settings: HTTPClientSettings) throws(EvidenceError) {
        CurlGlobal.initialiseOnce()
        guard let handle = curl_easy_init() else {
            throw EvidenceError(.transfer, "libcurl could not create a transfer handle")
        }
        self.handle = handle
        self.settings = settings
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends one request and waits for its response. HTTP error statuses are responses, not
    /// errors: the caller reads the code. Throws only when no response arrived.
    package func perform(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        // Trust is decided here, for every request: nothing goes to an origin the config did not
        // name, and the credentials only to the origins allowed to see them.
        guard let target = ParsedURL.parse(request.url) else {
            throw TransportError(kind: .refusedOrigin, message: "not an http(s) URL libcurl can use", bytesSent: 0)
        }
        guard !target.hasUserInfo, settings.origins.mayContact(target.origin) else {
            throw TransportError(kind: .refusedOrigin, message: "\(target.origin) is not the portal's origin nor an allowed upload origin",
                                 bytesSent: 0)
        }
        let authenticate = settings.origins.mayAuthenticate(target.origin)
        let context = RequestContext(body: request.body, keptResponseBytes: request.keptResponseBytes, onProgress: onProgress,
                                     rateLimiter: settings.rateLimiter, stop: settings.stop,
                                     stallSeconds: Double(settings.lowSpeedTimeSeconds))
        let started = WallClock.monotonic()
        curl_easy_reset(handle)  // options only: the connection cache survives
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }

        let code: CURLcode = withExtendedLifetime(context) {
            let userdata = Unmanaged.passUnretained(context).toOpaque()
            applyCommonOptions(authenticate: authenticate)
            setString(CURLOPT_URL, request.url)
            setPointer(CURLOPT_HEADERDATA, userdata)
            evu_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
            setPointer(CURLOPT_WRITEDATA, userdata)
            evu_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback)
            setLong(CURLOPT_NOPROGRESS, 0)
            setPointer(CURLOPT_XFERINFODATA, userdata)
            evu_setopt_xferinfo_callback(handle, curlProgressCallback)

            switch request.method {
            case .head:
                setLong(CURLOPT_NOBODY, 1)
            case .post where request.body == nil && request.bytes == nil:
                setLong(CURLOPT_POST, 1)
                evu_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0)
                setString(CURLOPT_POSTFIELDS, "")
            default:
                setString(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
            if let body = request.body {
                setLong(CURLOPT_UPLOAD, 1)
                evu_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, Int(body.length))
                setPointer(CURLOPT_READDATA, userdata)
                evu_setopt_data_callback(handle, CURLOPT_READFUNCTION, curlReadCallback)
                setPointer(CURLOPT_SEEKDATA, userdata)
                evu_setopt_seek_callback(handle, curlSeekCallback)
            }
            if let bytes = request.bytes {
                setLong(CURLOPT_POST, 1)
                evu_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, bytes.count)
                bytes.withUnsafeBytes { _ = evu_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
            }
            // No "Expect: 100-continue": it costs a round trip (or a 1 s wait) per chunk. Not
            // with SigV4: libcurl 7.88 signs the blanked header and the store then refuses it.
            if settings.awsSigV4 == nil {
                headerList = curl_slist_append(headerList, "Expect:")
            }
            for header in request.headers {
                headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
            }
            evu_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
            errorBuffer.withUnsafeMutableBufferPointer { buffer in
                buffer[0] = 0
                _ = evu_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            }
            let result = curl_easy_perform(handle)
            evu_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return result
        }

        if code != CURLE_OK {
            throw transportError(code, context: context, origin: target.origin)
        }
        var status = 0
        evu_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var response = HTTPResponse(status: status, headers: context.headers.headers, body: context.responseBody)
        if let bodyDone = context.bodyDoneAt {
            response.sendSeconds = bodyDone - started
            response.waitSeconds = WallClock.monotonic() - bodyDone
        }
        return response
    }

    private func applyCommonOptions(authenticate: Bool) {
        setLong(CURLOPT_NOSIGNAL, 1)
        setLong(CURLOPT_SSL_VERIFYPEER, 1)
        setLong(CURLOPT_SSL_VERIFYHOST, 2)
        setString(CURLOPT_PROTOCOLS_STR, "http,https")
        setLong(CURLOPT_FOLLOWLOCATION, 0)
        setLong(CURLOPT_TCP_KEEPALIVE, 1)
        setLong(CURLOPT_CONNECTTIMEOUT, settings.connectTimeoutSeconds)
        // No CURLOPT_LOW_SPEED_*: libcurl averages speed over several seconds, so a stall was
        // noticed ~5 s late. The progress callback measures "nothing moved for low_speed_time".
        setString(CURLOPT_USERAGENT, settings.userAgent)
        if let caFile = settings.caFile, !caFile.isEmpty {
            setString(CURLOPT_CAINFO, caFile)
            setString(CURLOPT_CAPATH, "/etc/ssl/certs")
        }
        if let pin = settings.pinnedPublicKey, !pin.isEmpty { setString(CURLOPT_PINNEDPUBLICKEY, pin) }
        if let proxy = settings.proxy, !proxy.isEmpty { setString(CURLOPT_PROXY, proxy) }
        if authenticate, let sigv4 = settings.awsSigV4, let username = settings.username, let password = settings.password {
            setString(CURLOPT_AWS_SIGV4, sigv4)  // also selects CURLAUTH_AWS_SIGV4
            setString(CURLOPT_USERNAME, username)
            setString(CURLOPT_PASSWORD, password)
        } else if authenticate, let username = settings.username, let password = settings.password {
            setLong(CURLOPT_HTTPAUTH, 1)  // CURLAUTH_BASIC, a macro Swift cannot import
            setString(CURLOPT_USERNAME, username)
            setString(CURLOPT_PASSWORD, password)
        }
    }

    private func transportError(_ code: CURLcode, context: RequestContext, origin: Origin) -> TransportError {
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: TransportError.Kind
        if context.stalled {
            return TransportError(kind: .timeout, message: "nothing moved for \(settings.lowSpeedTimeSeconds) s (low_speed_time)",
                                  bytesSent: context.bodySent)
        }
        switch code {
        case CURLE_ABORTED_BY_CALLBACK: kind = .cancelled
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_ISSUER_ERROR:
            kind = .tls
        case CURLE_READ_ERROR: kind = .local
        case CURLE_OUT_OF_MEMORY:
            // What libcurl answers to a response header past its limit, too.
            return TransportError(kind: .network, message: "the portal's answer could not be read: a header too large (over libcurl's limit), or memory ran out",
                                  bytesSent: context.bodySent)
        default: kind = .network
        }
        let readFailure = context.readError.map { ": \($0)" } ?? ""
        let prefix = kind == .tls ? "host \(origin.host):\(origin.port): " : ""
        return TransportError(kind: kind, message: prefix + message + readFailure, bytesSent: context.bodySent)
    }

    @discardableResult private func setLong(_ option: CURLoption, _ value: Int) -> CURLcode {
        evu_setopt_long(handle, option, value)
    }
    @discardableResult private func setString(_ option: CURLoption, _ value: String) -> CURLcode {
        evu_setopt_string(handle, option, value)  // libcurl copies strings
    }
    @discardableResult private func setPointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) -> CURLcode {
        evu_setopt_pointer(handle, option, value)
    }
}

/// State one request's callbacks share, passed as libcurl's userdata (C callbacks cannot capture).
private final class RequestContext {
    let body: HTTPRequest.FileRange?
    let keptResponseBytes: Int
    let onProgress: ((Int64) -> Bool)?
    let rateLimiter: RateLimiter?
    let stop: StopSignal?
    let stallSeconds: Double
    var lastActivity = WallClock.monotonic()
    var lastUploaded: Int64 = 0
    var lastDownloaded: Int64 = 0
    var stalled = false
    var bodySent: Int64 = 0
    /// When libcurl took the body's last byte.
    var bodyDoneAt: Double? = nil
    var headers = HeaderLineParser()
    var responseBody: [UInt8] = []
    var readError: SystemCallError? = nil

    init(body: HTTPRequest.FileRange?, keptResponseBytes: Int = maxKeptResponseBody, onProgress: ((Int64) -> Bool)?,
         rateLimiter: RateLimiter?, stop: StopSignal?, stallSeconds: Double) {
        self.body = body
        self.keptResponseBytes = keptResponseBytes
        self.onProgress = onProgress
        self.rateLimiter = rateLimiter
        self.stop = stop
        self.stallSeconds = stallSeconds
    }
}

private let maxKeptResponseBody = 16 * 1024

private let curlHeaderCallback: evu_data_callback = { buffer, size, count, userdata in
    let context = Unmanaged<RequestContext>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    buffer!.withMemoryRebound(to: UInt8.self, capacity: length) {
        context.headers.consume(UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

private let curlWriteCallback: evu_data_callback = { buffer, size, count, userdata in
    let context = Unmanaged<RequestContext>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    let room = max(0, context.keptResponseBytes - context.responseBody.count)
    if room > 0 {
        buffer!.withMemoryRebound(to: UInt8.self, capacity: length) {
            context.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(room, length)))
        }
    }
    return length
}

/// Streams the body straight from the file into libcurl's buffer with `pread`.
private let curlReadCallback: evu_data_callback = { buffer, size, count, userdata in
    let context = Unmanaged<RequestContext>.fromOpaque(userdata!).takeUnretainedValue()
    guard let body = context.body else { return 0 }
    let remaining = body.length - context.bodySent
    if remaining <= 0 { return 0 }
    var want = min(Int64(size * count), remaining)
    if let limiter = context.rateLimiter {
        let granted = limiter.acquire(Int(want), stop: context.stop)
        if granted == 0 { return Int(CURL_READFUNC_ABORT) }
        want = Int64(granted)
    }
    while true {
        let got = pread(body.fd, buffer, Int(want), off_t(body.offset + context.bodySent))
        if got > 0 {
            context.bodySent += Int64(got)
            if context.bodySent == body.length { context.bodyDoneAt = WallClock.monotonic() }
            return got
        }
        if got == 0 {
            // The file shrank under us: fail the request rather than send a short body.
            context.readError = SystemCallError(operation: "read (file shrank during upload)", path: nil, errno: EIO)
            return Int(CURL_READFUNC_ABORT)
        }
        if errno == EINTR { continue }
        context.readError = SystemCallError(operation: "read", path: nil, errno: errno)
        return Int(CURL_READFUNC_ABORT)
    }
}

/// libcurl asks to rewind the body when it wants to resend it by itself, for example on a fresh
/// connection after the reused one was reset. That would resend a whole chunk the portal has
/// partly kept, only to be refused with 409. Refusing the rewind makes the request fail instead:
/// the upload asks the portal for its offset (HEAD) and goes on from there, and says so.
private let curlSeekCallback: evu_seek_callback = { userdata, offset, origin in
    let context = Unmanaged<RequestContext>.fromOpaque(userdata!).takeUnretainedValue()
    guard origin == SEEK_SET, Int64(offset) == context.bodySent else {
        return Int32(CURL_SEEKFUNC_CANTSEEK)
    }
    return Int32(CURL_SEEKFUNC_OK)
}

/// Called by libcurl at least once a second: a graceful stop, and stall detection (nothing sent
/// or received for `low_speed_time`, after which the request fails and resumes from a HEAD).
private let curlProgressCallback: evu_xferinfo_callback = { userdata, _, downloaded, _, uploaded in
    let context = Unmanaged<RequestContext>.fromOpaque(userdata!).takeUnretainedValue()
    if context.stop?.isRaised == true { return 1 }
    let now = WallClock.monotonic()
    if Int64(uploaded) != context.lastUploaded || Int64(downloaded) != context.lastDownloaded {
        context.lastUploaded = Int64(uploaded)
        context.lastDownloaded = Int64(downloaded)
        context.lastActivity = now
    } else if context.stallSeconds > 0 && now - context.lastActivity >= context.stallSeconds {
        context.stalled = true
        return 1
    }
    if let onProgress = context.onProgress, !onProgress(Int64(uploaded)) { return 1 }
    return 0
}

/// `curl_global_init` exactly once per process, and SIGPIPE ignored (a peer closing a
/// connection must not kill the daemon).
enum CurlGlobal {
    private static let initialised: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func initialiseOnce() { _ = initialised }

    static var versionText: String { String(cString: curl_version()) }
}

extension TransportError {
    /// Why an upload is tried again after this libcurl failure, as a metrics label.
    var retryCause: RetryCause {
        switch kind {
        case .network: return .network
        case .timeout: return .timeout
        case .tls: return .tls
        case .cancelled, .local, .refusedOrigin: return .other
        }
    }
}
