#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Logging
import Synchronization
@testable import UploaderCore
@testable import UploaderHashing
@testable import UploaderJournal
#if canImport(Glibc)
import Glibc
#endif

/// A `VideoCompressor` that plays a script: each `compress` call takes the next step. A copy that
/// fits is written into the state folder and handed over open, as ffmpeg's would be; every call
/// is kept, with the limit it was asked to fit.
final class ScriptedCompressor: VideoCompressor {
    enum Step: Sendable {
        /// A copy with these bytes, made at this rung.
        case fits([UInt8], rung: String = "720p")
        /// The video itself cannot be made to fit (too long, unreadable): this rejection.
        case refuses(Rejection)
        /// The machine fails; `permanent`: not tried again by itself.
        case fails(String, permanent: Bool)
    }

    struct Call: Sendable, Equatable {
        var id: UInt64
        var limitBytes: Int64
    }

    private struct State {
        var steps: [Step]
        var calls: [Call] = []
        var installed = true
    }

    private let state: Mutex<State>
    let stateFolder: String

    init(stateFolder: String, _ steps: [Step] = []) {
        self.stateFolder = stateFolder
        state = Mutex(State(steps: steps))
    }

    func script(_ steps: [Step]) { state.withLock { $0.steps += steps } }

    /// What `isInstalled` answers.
    func toolsInstalled(_ answer: Bool) { state.withLock { $0.installed = answer } }

    var calls: [Call] { state.withLock { $0.calls } }
    var isInstalled: Bool { state.withLock { $0.installed } }

    func compress(_ item: JournalItem, file: any OpenedEvidence, limitBytes: Int64, logger: Logger,
                  progress: @escaping (String) -> Void) -> CompressionStage.Result {
        let step = state.withLock { state -> Step? in
            state.calls.append(Call(id: item.id, limitBytes: limitBytes))
            return state.steps.isEmpty ? nil : state.steps.removeFirst()
        }
        switch step {
        case nil:
            return .failed(EvidenceError(.system, "no scripted compression"), permanent: false)
        case let .refuses(rejection):
            return .reject(rejection)
        case let .fails(message, permanent):
            return .failed(EvidenceError(.system, message), permanent: permanent)
        case let .fits(bytes, rung):
            progress("compressing: 100%")
            let folder = "compress/\(item.id)"
            mkdir(stateFolder + "/compress", 0o700)
            mkdir(stateFolder + "/" + folder, 0o700)
            let workFile = folder + "/output.mp4"
            let fd = open(stateFolder + "/" + workFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return .failed(EvidenceError(.system, "cannot write the copy"), permanent: false) }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let digest = (try? FileHasher().digest(.sha256, fd: fd, length: Int64(bytes.count)))?.hexString ?? ""
            close(fd)
            let copy = CompressedCopy(workFile: workFile, size: Int64(bytes.count), sha256: digest, rung: rung,
                                      width: 1280, height: 720, durationMillis: 60_000,
                                      originalWidth: 1920, originalHeight: 1080, originalDurationMillis: 60_000)
            guard let opened = CompressedFile(stateFolder: stateFolder, copy: copy) else {
                return .failed(EvidenceError(.system, "cannot reopen the copy"), permanent: false)
            }
            return .ready(opened)
        }
    }
}
#endif
