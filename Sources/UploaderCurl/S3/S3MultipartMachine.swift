import UploaderCore

/// The life of one S3 multipart upload as a plain state machine: events in, the next action
/// out. No I/O, no clock: `S3UploadSession` performs the actions and feeds back what happened.
/// The parts the server lists are the truth; the journal's UploadId is only where to ask.
struct S3MultipartMachine: Sendable {
    enum Action: Sendable, Equatable {
        /// CreateMultipartUpload.
        case create
        /// PutObject: the whole file (one part) in one request (`singlePut`).
        case put
        /// ListParts, one page from `marker` (0 = the first page).
        case listParts(uploadID: String, marker: Int)
        /// Compare these parts the server holds with the file's bytes; answer `.checked`.
        case check(uploadID: String, parts: [S3Part])
        /// UploadPart `number`: `length` bytes from `offset`.
        case send(uploadID: String, number: Int, offset: Int64, length: Int64)
        /// UploadPart for these parts at once, each on a connection of its own (`parallelParts`);
        /// answer `.sentBatch` with each one's result, in the same order.
        case sendBatch(uploadID: String, parts: [PartRange])
        /// CompleteMultipartUpload with every part, in order.
        case complete(uploadID: String, parts: [S3Part])
        /// HeadObject: the upload is unknown; was it completed already (a lost answer)?
        case headObject
        /// Wait (backoff) before the action that follows the next `.waited` event.
        case backoff(attempt: Int, retryAfterSeconds: Int?, reason: String)
        /// The object is complete (no UploadId when it was one PutObject).
        case finished(uploadID: String?)
        case failed(TusFailure)
    }

    enum Event: Sendable, Equatable {
        case start(resumeUploadID: String?)
        case created(uploadID: String)
        /// One ListParts page; `nextMarker` when the listing is truncated.
        case listed([S3Part], nextMarker: Int?)
        /// The checked parts, from the first, that match the file (with the file's checksums).
        case checked([S3Part])
        case sent(S3Part)
        /// The results of a `.sendBatch`, part for part.
        case sentBatch([Result<S3Part, TusFailure>])
        /// PutObject answered: the object is stored.
        case stored
        case completed
        /// HeadObject's answer: whether the object at the key is this file, whole.
        case headed(holdsFile: Bool)
        case waited
        case failed(TusFailure)
    }

    private enum Phase: Sendable, Equatable {
        case idle, creating, putting, listing, checking, sending, completing, heading, waiting, done
    }

    /// A part the server refuses as corrupted is sent again at once this many times in a row.
    static let digestRetries = 3

    let plan: S3PartPlan
    var retry: RetryPolicy { streak.policy }
    private(set) var uploadID: String? = nil
    /// Parts 1...n the server acknowledged, in order.
    private(set) var confirmed: [S3Part] = []
    /// Failures in a row without progress, and when the policy gives up.
    private var streak: FailureStreak
    var attemptsWithoutProgress: Int { streak.count }
    /// Parts found on the server at resume that matched the file (0 = nothing resumed).
    private(set) var resumedParts = 0
    private var listing: [S3Part] = []
    private var phase: Phase = .idle
    private var afterWait: Action? = nil
    private var digestFailures = 0
    /// The ListParts page being read.
    private var marker = 0

    /// One part to send: its number and where its bytes are.
    struct PartRange: Sendable, Equatable {
        var number: Int
        var offset: Int64
        var length: Int64
    }

    /// How many parts go at once (1: one after another). The store's parts stay the truth: on
    /// resume only the parts from 1 without a gap are kept, so a kill costs at most the parts in
    /// flight.
    let parallelParts: Int

    /// A new upload of a file that fits in one part is one PutObject instead of create, part and
    /// complete (two round trips fewer; safe to repeat, unlike a multipart upload it leaves nothing
    /// behind). A journalled multipart upload is still resumed as one.
    let singlePut: Bool

    init(plan: S3PartPlan, retry: RetryPolicy, singlePut: Bool = false, parallelParts: Int = 1) {
        self.plan = plan
        self.singlePut = singlePut
        self.parallelParts = max(1, parallelParts)
        streak = FailureStreak(policy: retry)
    }

    /// Bytes the server holds in acknowledged parts.
    var confirmedBytes: Int64 { confirmed.reduce(0) { $0 + $1.size } }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case let .start(resumeUploadID):
            guard let id = resumeUploadID, !id.isEmpty else { return enter(singlePut && plan.count == 1 ? .put : .create) }
            uploadID = id
            listing = []
            return enter(.listParts(uploadID: id, marker: 0))

        case let .created(id):
            uploadID = id
            confirmed = []
            return nextPart()

        case let .listed(parts, nextMarker):
            guard let id = uploadID else { return enter(.create) }
            listing += parts
            if let nextMarker, nextMarker > marker, !parts.isEmpty {
                // Only forward: a store that pages in circles cannot loop us.
                return enter(.listParts(uploadID: id, marker: nextMarker))
            }
            // The parts that can be kept: 1, 2, 3... each of its planned size, none missing.
            var held: [Int: S3Part] = [:]
            for part in listing { held[part.number] = part }
            listing = []
            var prefix: [S3Part] = []
            var number = 1
            while number <= plan.count, let part = held[number], part.size == plan.size(of: number) {
                prefix.append(part)
                number += 1
            }
            confirmed = []
            if prefix.isEmpty { return nextPart() }
            return enter(.check(uploadID: id, parts: prefix))

        case let .checked(matching):
            guard case let .check(_, parts) = currentCheck else { return nextPart() }
            // Only a prefix of what was handed out, part for part: anything else is not kept.
            var kept: [S3Part] = []
            for (checked, held) in zip(matching, parts) {
                guard checked.number == held.number, checked.size == held.size else { break }
                kept.append(checked)
            }
            confirmed = kept
            resumedParts = confirmed.count
            if !confirmed.isEmpty { streak.reset() }
            currentCheck = nil
            return nextPart()

        case let .sent(part):
            guard uploadID != nil else { return enter(.create) }
            guard part.number == confirmed.count + 1, part.size == plan.size(of: part.number) else {
                return failure(.protocolViolation("part \(part.number) acknowledged while part \(confirmed.count + 1) was sent"))
            }
            confirmed.append(part)
            streak.reset()
            digestFailures = 0
            return nextPart()

        case let .sentBatch(results):
            guard uploadID != nil else { return enter(.create) }
            guard case let .sendBatch(_, sent) = currentBatch, sent.count == results.count else {
                return failure(.protocolViolation("parts acknowledged that were not sent"))
            }
            currentBatch = nil
            // Kept: the parts from the first one sent up to the first that failed; a failure's
            // parts after it go again (the store may hold them; it keeps the last of each number).
            for (range, result) in zip(sent, results) {
                switch result {
                case let .success(part):
                    guard part.number == range.number, part.number == confirmed.count + 1, part.size == plan.size(of: part.number) else {
                        return failure(.protocolViolation("part \(part.number) acknowledged while part \(confirmed.count + 1) was sent"))
                    }
                    confirmed.append(part)
                    streak.reset()
                    digestFailures = 0
                case let .failure(failed):
                    return failure(failed)
                }
            }
            return nextPart()

        case .stored:
            guard phase == .putting else { return failure(.protocolViolation("PutObject answered while none was sent")) }
            streak.reset()
            return enter(.finished(uploadID: nil))

        case .completed:
            guard let id = uploadID else { return enter(.create) }
            return enter(.finished(uploadID: id))

        case let .headed(holdsFile):
            if holdsFile, let id = uploadID { return enter(.finished(uploadID: id)) }
            return startAgain()

        case .waited:
            let next = afterWait ?? .create
            afterWait = nil
            return enter(next)

        case let .failed(failure):
            return self.failure(failure)
        }
    }

    /// The parts handed out for checking, kept to know which ones `.checked` counts.
    private var currentCheck: Action? = nil

    private mutating func nextPart() -> Action {
        enter(nextPartAction())
    }

    /// The batch being sent, kept to check `.sentBatch` against it.
    private var currentBatch: Action? = nil

    private mutating func startAgain() -> Action {
        uploadID = nil
        confirmed = []
        return enter(.create)
    }

    private mutating func failure(_ failure: TusFailure) -> Action {
        let phaseNow = phase
        switch failure {
        case .untrustedLocation where phaseNow == .listing:
            // The journal's upload is on a store no longer configured: never contacted again.
            return startAgain()
        case .unauthorized, .tooLarge, .tls, .localRead, .notRecorded, .fileChanged, .cancelled, .untrustedLocation:
            return enter(.failed(failure))
        case .refused where phaseNow == .creating:
            return enter(.failed(failure))
        case .uploadGone where phaseNow == .listing || phaseNow == .completing:
            // Unknown to the store: expired, aborted, or completed by a request whose answer
            // was lost. The object at the key says which.
            return enter(.headObject)
        case .uploadGone:
            // Expired or aborted while parts were being sent: a new upload, at once the first time.
            guard streak.allowsAnother() else { return enter(.failed(failure)) }
            if streak.count <= 1 { return startAgain() }
            uploadID = nil
            confirmed = []
            return wait(then: .create, failure)
        case .checksumMismatch where phaseNow == .sending || phaseNow == .putting:
            // BadDigest: the bytes were damaged on the way. Send that part again, at once.
            digestFailures += 1
            if digestFailures <= Self.digestRetries { return phaseNow == .putting ? enter(.put) : nextPart() }
        case .offsetConflict:
            // The store's parts are not the ones we listed (InvalidPart): ask it again.
            if let id = uploadID {
                guard streak.allowsAnother() else { return enter(.failed(failure)) }
                listing = []
                return enter(.listParts(uploadID: id, marker: 0))
            }
        default:
            break
        }

        guard streak.allowsAnother() else { return enter(.failed(failure)) }
        let retryAction: Action
        switch phaseNow {
        case .listing, .checking:
            listing = []
            retryAction = uploadID.map { .listParts(uploadID: $0, marker: 0) } ?? .create
        case .sending:
            retryAction = nextPartAction()
        case .completing:
            retryAction = uploadID.map { .complete(uploadID: $0, parts: confirmed) } ?? .create
        case .heading:
            retryAction = .headObject
        case .putting:
            retryAction = .put
        default:
            retryAction = .create
        }
        return wait(then: retryAction, failure)
    }

    private func nextPartAction() -> Action {
        guard let id = uploadID else { return .create }
        let number = confirmed.count + 1
        if number > plan.count { return .complete(uploadID: id, parts: confirmed) }
        let last = min(plan.count, number + parallelParts - 1)
        if last > number {
            return .sendBatch(uploadID: id, parts: (number...last).map {
                PartRange(number: $0, offset: plan.offset(of: $0), length: plan.size(of: $0))
            })
        }
        return .send(uploadID: id, number: number, offset: plan.offset(of: number), length: plan.size(of: number))
    }

    private mutating func wait(then action: Action, _ failure: TusFailure) -> Action {
        afterWait = action
        phase = .waiting
        return .backoff(attempt: streak.count, retryAfterSeconds: failure.retryAfterSeconds, reason: failure.summary)
    }

    private mutating func enter(_ action: Action) -> Action {
        switch action {
        case .create: phase = .creating
        case .put: phase = .putting
        case let .listParts(_, marker): phase = .listing; self.marker = marker
        case .check: phase = .checking; currentCheck = action
        case .send: phase = .sending
        case .sendBatch: phase = .sending; currentBatch = action
        case .complete: phase = .completing
        case .headObject: phase = .heading
        case .backoff: phase = .waiting
        case .finished, .failed: phase = .done
        }
        return action
    }
}
