#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Synchronization
@testable import UploaderCurl
@testable import UploaderSystem

/// An `UploadTransport` that plays a script: each `upload` call takes the next step. Like the
/// real session it creates the upload (`uploadCreated`, recorded by the observer) when the job
/// has no URL to resume, checks the file before sending, and confirms the whole length. Every
/// call is kept, with what it was asked.
final class ScriptedTransport: UploadTransport {
    indirect enum Step: Sendable {
        /// The portal confirms every byte (at `url`: the job's resume URL when it has one).
        case deliver(url: String, resumedFrom: Int64? = nil)
        /// The upload fails with this failure before anything is created.
        case fail(TusFailure)
        /// The upload is created at `url`, then fails.
        case createThenFail(url: String, TusFailure)
        /// Something happens to the world first (a file changes...), then the step.
        case after(@Sendable () -> Void, Step)
    }

    struct Call: Sendable, Equatable {
        var endpoint: String
        var length: Int64
        var resumeURL: String?
        var fileName: String?
        var sha256: String?
    }

    private struct State {
        var steps: [Step]
        var calls: [Call] = []
        var holdsAll = true
        var holdsAllAsked: [String] = []
        var abandoned: [String] = []
    }

    private let state: Mutex<State>

    init(_ steps: [Step] = []) {
        state = Mutex(State(steps: steps))
    }

    func script(_ steps: [Step]) { state.withLock { $0.steps += steps } }

    /// What `holdsAll` answers.
    func portalHoldsAll(_ answer: Bool) { state.withLock { $0.holdsAll = answer } }

    var calls: [Call] { state.withLock { $0.calls } }
    var holdsAllAsked: [String] { state.withLock { $0.holdsAllAsked } }
    var abandoned: [String] { state.withLock { $0.abandoned } }

    func upload(_ job: UploadJob, retry: RetryPolicy, stop: StopSignal,
                observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult {
        let fields = Dictionary(job.metadata.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let step = state.withLock { state -> Step in
            state.calls.append(Call(endpoint: job.endpoint, length: job.length, resumeURL: job.resumeURL,
                                    fileName: fields["filename"], sha256: fields["sha256"]))
            return state.steps.isEmpty ? .fail(.transient("no scripted result", retryAfterSeconds: nil)) : state.steps.removeFirst()
        }
        return try play(step, job, observer)
    }

    private func play(_ step: Step, _ job: UploadJob, _ observer: (any UploadObserver)?) throws(TusFailure) -> UploadResult {
        switch step {
        case let .after(happen, next):
            happen()
            return try play(next, job, observer)
        case let .fail(failure):
            throw failure
        case let .createThenFail(url, failure):
            try create(url, job, observer)
            throw failure
        case let .deliver(url, resumedFrom):
            let url = job.resumeURL ?? url
            if job.resumeURL == nil { try create(url, job, observer) }
            guard job.fileUnchanged() else { throw .fileChanged }
            do {
                try observer?.offsetConfirmed(job.length, of: job.length)
            } catch {
                throw .notRecorded(error.description)
            }
            return UploadResult(url: url, bytesSent: job.length - (resumedFrom ?? 0), resumedFrom: resumedFrom)
        }
    }

    private func create(_ url: String, _ job: UploadJob, _ observer: (any UploadObserver)?) throws(TusFailure) {
        do {
            try observer?.uploadCreated(url: url)
        } catch {
            throw .notRecorded(error.description)
        }
    }

    func holdsAll(_ url: String, length: Int64) -> Bool {
        state.withLock {
            $0.holdsAllAsked.append(url)
            return $0.holdsAll
        }
    }

    func abandon(_ url: String) throws(TusFailure) {
        state.withLock { $0.abandoned.append(url) }
    }
}
#endif
