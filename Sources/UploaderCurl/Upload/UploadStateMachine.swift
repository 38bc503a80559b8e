import UploaderCore

/// The life of one tus upload as a plain state machine: events in, the next action out.
/// No I/O, no clock: `UploadSession` performs the actions and feeds back what happened.
/// The server's offset is the truth; the journal's is only where to ask.
package struct UploadStateMachine: Sendable {
    enum Action: Sendable, Equatable {
        /// OPTIONS the endpoint.
        case discover
        /// POST a new upload.
        case create
        /// HEAD the upload to learn the server's offset.
        case probe(url: String)
        /// PATCH `length` bytes from `offset`.
        case send(url: String, offset: Int64, length: Int64)
        /// Wait (backoff) before the action that follows the next `.waited` event.
        case backoff(attempt: Int, retryAfterSeconds: Int?, reason: String)
        /// Abandon the old upload (the file changed or the server holds a different length) where the server allows.
        case terminate(url: String)
        /// The server holds every byte.
        case finished(url: String)
        case failed(TusFailure)
    }

    enum Event: Sendable, Equatable {
        case start(resumeURL: String?)
        case discovered(TusCapabilities)
        case created(url: String)
        case probed(offset: Int64, length: Int64?)
        case sent(newOffset: Int64)
        case waited
        case terminated
        case failed(TusFailure)
    }

    private enum Phase: Sendable, Equatable {
        case idle, discovering, creating, probing, sending, terminating, waiting, done
    }

    /// The most one request may carry, learned from a portal that refused larger ones.
    package struct RequestLimit: Sendable, Equatable {
        package enum Reason: String, Sendable, Equatable {
            /// The portal (or a proxy before it) answered 413 to a chunk.
            case refused = "the portal refused a chunk as too large (413)"
            /// The same chunk failed repeatedly at the same offset (a proxy that resets large bodies).
            case resets = "the same chunk failed repeatedly at the same offset"
        }
        package var bytes: Int64
        package var reason: Reason
    }

    /// Requests are never made smaller than this, whatever a portal refuses.
    static let smallestChunk: Int64 = 64 << 10
    /// Failures of one chunk at one offset after which it is sent smaller.
    static let failuresBeforeShrinking = 2

    let length: Int64
    /// The size of the next PATCH; the session may grow it (`ChunkSizing`), up to `requestLimit`.
    var chunkSize: Int64
    /// Set (and lowered) when a chunk is refused as too large or keeps failing at one offset.
    private(set) var requestLimit: RequestLimit?
    var retry: RetryPolicy { streak.policy }
    private(set) var capabilities: TusCapabilities? = nil
    private(set) var uploadURL: String? = nil
    /// The last offset the server confirmed.
    private(set) var confirmedOffset: Int64 = 0
    /// Failures in a row without progress, and when the policy gives up.
    private var streak: FailureStreak
    var attemptsWithoutProgress: Int { streak.count }
    private var phase: Phase = .idle
    private var afterWait: Action? = nil
    private var abandonedURL: String? = nil
    /// The last chunk sent: its offset and size, and how often it failed there in a row.
    private var lastSend: (offset: Int64, size: Int64, failures: Int)? = nil

    init(length: Int64, chunkSize: Int64, retry: RetryPolicy, requestLimit: RequestLimit? = nil) {
        precondition(chunkSize > 0)
        self.length = length
        self.requestLimit = requestLimit
        self.chunkSize = requestLimit.map { min(chunkSize, max($0.bytes, Self.smallestChunk)) } ?? chunkSize
        streak = FailureStreak(policy: retry)
    }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case let .start(resumeURL):
            uploadURL = resumeURL
            return enter(.discover)

        case let .discovered(capabilities):
            self.capabilities = capabilities
            if let max = capabilities.maxSize, max > 0, length > max {
                return enter(.failed(.tooLarge("this file is \(ByteFormatting.human(length)) and the portal takes at most \(ByteFormatting.human(max))")))
            }
            if let url = uploadURL { return enter(.probe(url: url)) }
            return enter(.create)

        case let .created(url):
            // Not progress by itself: a portal that creates uploads and then loses them must
            // still run into the attempt limit.
            uploadURL = url
            confirmedOffset = 0
            return nextChunk(url: url)

        case let .probed(offset, serverLength):
            guard let url = uploadURL else { return enter(.create) }
            if let serverLength, serverLength != length {
                // Not our file's upload: start again, and tidy the stray upload up.
                return abandon(url)
            }
            if offset > length { return abandon(url) }
            if offset > confirmedOffset {
                // The portal kept bytes from a request that failed part-way: that is progress.
                streak.reset()
            }
            confirmedOffset = offset
            return nextChunk(url: url)

        case let .sent(newOffset):
            guard let url = uploadURL else { return enter(.create) }
            if newOffset <= confirmedOffset || newOffset > length {
                // A server that does not move forward, or moves beyond the end: ask again.
                return failure(.protocolViolation("PATCH answered offset \(newOffset) after \(confirmedOffset)"))
            }
            if let sent = lastSend, sent.offset == confirmedOffset, newOffset > sent.offset + sent.size {
                // It cannot hold bytes it was never sent: believing it would deliver a short copy.
                return failure(.protocolViolation("PATCH answered offset \(newOffset) after \(sent.size) bytes sent at \(sent.offset)"))
            }
            confirmedOffset = newOffset
            streak.reset()
            return nextChunk(url: url)

        case .waited:
            let next = afterWait ?? .discover
            afterWait = nil
            return enter(next)

        case .terminated:
            return enter(.create)

        case let .failed(failure):
            return self.failure(failure)
        }
    }

    private mutating func nextChunk(url: String) -> Action {
        if confirmedOffset == length { return enter(.finished(url: url)) }
        let size = min(chunkSize, length - confirmedOffset)
        if lastSend?.offset != confirmedOffset { lastSend = (confirmedOffset, size, 0) }
        lastSend?.size = size
        return enter(.send(url: url, offset: confirmedOffset, length: size))
    }

    /// Halves the chunk that failed (never below `smallestChunk`) and remembers the limit;
    /// false when it is already as small as it goes.
    private mutating func shrink(_ reason: RequestLimit.Reason) -> Bool {
        guard let failed = lastSend?.size, failed > Self.smallestChunk else { return false }
        let smaller = max(Self.smallestChunk, failed / 2)
        chunkSize = min(chunkSize, smaller)
        requestLimit = RequestLimit(bytes: min(smaller, requestLimit?.bytes ?? smaller), reason: reason)
        lastSend?.failures = 0
        // A new way of sending, not another try of the old one.
        streak.reset()
        return true
    }

    private mutating func abandon(_ url: String) -> Action {
        uploadURL = nil
        confirmedOffset = 0
        if capabilities?.supportsTermination == true {
            return enter(.terminate(url: url))
        }
        return enter(.create)
    }

    private mutating func failure(_ failure: TusFailure) -> Action {
        let phaseNow = phase
        switch failure {
        case .untrustedLocation where phaseNow == .probing || phaseNow == .terminating:
            // An upload the journal knows on an origin no longer trusted (the portal's URL was
            // changed): never contacted; a new upload starts at the portal in force.
            uploadURL = nil
            confirmedOffset = 0
            return enter(.create)
        case .unauthorized, .tooLarge, .tls, .localRead, .notRecorded, .fileChanged, .cancelled, .untrustedLocation:
            return enter(.failed(failure))
        case .bodyTooLarge where phaseNow == .sending:
            // Says nothing about the file: send less per request, from the portal's offset.
            if let url = uploadURL, shrink(.refused) { return enter(.probe(url: url)) }
        case .transient where phaseNow == .sending:
            // A proxy that resets a body over its limit instead of answering 413 looks like a
            // dropped link; the same chunk failing at the same offset again is the tell.
            lastSend?.failures += 1
            if let failures = lastSend?.failures, failures >= Self.failuresBeforeShrinking {
                _ = shrink(.resets)
            }
        case .refused where phaseNow == .creating:
            return enter(.failed(failure))
        case .refused where phaseNow == .discovering, .protocolViolation where phaseNow == .discovering:
            // A server that does not answer OPTIONS well: assume core + creation and go on.
            return handle(.discovered(.assumed))
        case .refused where phaseNow == .terminating, .transient where phaseNow == .terminating:
            // Tidying up is best-effort.
            return enter(.create)
        default:
            break
        }

        guard streak.allowsAnother() else { return enter(.failed(failure)) }
        let retryAction: Action
        switch (failure, phaseNow) {
        case (.uploadGone, _):
            uploadURL = nil
            confirmedOffset = 0
            // The first time, start a new upload at once; if new uploads keep vanishing, back off.
            if streak.count <= 1 { return enter(.create) }
            retryAction = .create
        case (.offsetConflict, _):
            // The server's offset moved on without us (or back): ask it, no waiting.
            return enter(uploadURL.map { .probe(url: $0) } ?? .create)
        case (_, .discovering): retryAction = .discover
        case (_, .creating): retryAction = .create
        default: retryAction = uploadURL.map { .probe(url: $0) } ?? .create
        }
        afterWait = retryAction
        phase = .waiting
        return .backoff(attempt: streak.count, retryAfterSeconds: failure.retryAfterSeconds, reason: failure.summary)
    }

    private mutating func enter(_ action: Action) -> Action {
        switch action {
        case .discover: phase = .discovering
        case .create: phase = .creating
        case .probe: phase = .probing
        case .send: phase = .sending
        case .terminate: phase = .terminating
        case .backoff: phase = .waiting
        case .finished, .failed: phase = .done
        }
        return action
    }
}
