#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Logging
import Synchronization
@testable import UploaderConfig
@testable import UploaderCore
@testable import UploaderCurl
@testable import UploaderJournal
@testable import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// One `Delivery` (and an `Admission`) wired to the doubles: an in-memory journal, a fake drop folder and
/// `uploaded/`, a manual clock, a scripted transport and compressor, and a log of rejections. No
/// process, no network, no sleep, no `Pipeline`: the settings come from a config (a temporary
/// state folder holds the compressor's copies and the status file it is never asked to write).
final class DeliveryHarness {
    let journal = InMemoryJournal()
    let drop = FakeDropFolder()
    let uploaded: FakeEvidenceSink
    let clock = ManualClock()
    let transport: ScriptedTransport
    let compressor: ScriptedCompressor
    /// The real SHA-256 over the fake files, unless a test gives another.
    var hasher: any ContentHasher = FileContentHasher()
    let rejections = RejectionLog()
    let log = LogCapture()
    let config: Config
    let settings: DeliverySettings
    let root: String

    init(_ steps: [ScriptedTransport.Step] = [], orphans: [OrphanUploads.Upload] = [], configure: (inout Config) -> Void = { _ in }) throws {
        var template = Array("/tmp/evu-delivery-XXXXXX".utf8CString)
        root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        for folder in ["drop", "state", "uploaded", "rejected"] { mkdir(root + "/" + folder, 0o700) }
        var config = Config(centreNumber: "12345", portalURL: "https://portal.example.org/files/")
        config.folders.drop = root + "/drop"
        config.folders.state = root + "/state"
        config.folders.uploaded = root + "/uploaded"
        config.folders.rejected = root + "/rejected"
        configure(&config)
        uploaded = FakeEvidenceSink(drop: drop)
        transport = ScriptedTransport(steps)
        compressor = ScriptedCompressor(stateFolder: config.folders.state)
        self.config = config
        settings = try DeliverySettings(examiner: Examiner(config: config, manifests: [:]),
                                        board: StatusBoard(stateDirectory: config.folders.state),
                                        retry: RetryPolicy(maxAttemptsWithoutProgress: 1), stop: StopSignal(),
                                        orphans: OrphanUploads(orphans), requestLimits: RequestSizeLimits(),
                                        chunkSize: config.transfer.chunkSize.bytes, maxChunkSize: config.transfer.maxChunkSize.bytes,
                                        logger: log.logger())
    }

    var ports: DeliveryPorts {
        let transport = self.transport
        return DeliveryPorts(journal: journal, drop: drop, uploaded: uploaded, clock: clock,
                             hasher: hasher, compressor: compressor,
                             portal: { _ in Pipeline.Portal(http: HTTPClientSettings(), transport: transport, origin: nil) },
                             reject: rejections.port)
    }

    func deliver(_ item: JournalItem) -> Delivery.Ended {
        Delivery(settings: settings, ports: ports).deliver(item)
    }

    /// The admission's ports: the same journal and drop folder, the config's real examiner, and
    /// the log of rejections.
    var admissionPorts: AdmissionPorts {
        let examiner = settings.examiner
        return AdmissionPorts(journal: journal, drop: drop,
                              examine: { file, relativePath throws(EvidenceError) in try examiner.examine(file, relativePath: relativePath) },
                              reject: rejections.admissionPort)
    }

    func admit(_ relativePath: String, active: Set<UInt64> = []) -> Admission.Result {
        let (config, logger) = (self.config, settings.logger)
        return Admission(board: settings.board, logger: { path in
            Pipeline.logger(logger, for: path, destination: config.destination(forRelativePath: path)?.destination.name ?? "")
        }, ports: admissionPorts).admit(relativePath, active: active)
    }

    /// Drops a file in and journals it (`discovered`), as admission would; returns the item.
    @discardableResult
    func discover(_ relativePath: String, bytes: [UInt8], inode: UInt64,
                  labels: EvidenceLabels = EvidenceLabels(centre: "12345", candidate: "0042", unit: "8711-305")) throws -> JournalItem {
        drop.add(relativePath, bytes: bytes, inode: inode)
        let file = drop.file(relativePath)!
        let id = try journal.append(.discovered(id: 0, relativePath: relativePath, device: file.device, inode: inode,
                                                size: Int64(bytes.count), mtimeNanos: file.modified, labels: labels,
                                                fileType: "video/mp4", endpoint: "https://portal.example.org/files/"))
        return journal.item(id: id)!
    }

    deinit {
        for folder in ["drop", "state", "uploaded", "rejected"] {
            let path = root + "/" + folder
            if let directory = opendir(path) {
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                    if name != "." && name != ".." { unlink(path + "/" + name) }
                }
                closedir(directory)
            }
            rmdir(path)
        }
        rmdir(root)
    }
}

/// The rejections a delivery or an admission asked for (moved to `rejected/` unless told they fail).
final class RejectionLog: Sendable {
    struct Filed: Sendable, Equatable {
        var path: String
        var code: String
        var size: Int64
        /// The file that was opened (a different one at the path would not be moved).
        var inode: UInt64?
    }

    private let state = Mutex<(rejected: [Filed], moves: Bool)>(([], true))

    var port: @Sendable (JournalItem, Rejection) -> Bool {
        { [self] item, rejection in file(Filed(path: item.relativePath, code: rejection.code, size: item.size, inode: item.inode)) }
    }

    var admissionPort: @Sendable (String, Rejection, Int64, UInt64?) -> Bool {
        { [self] path, rejection, size, inode in file(Filed(path: path, code: rejection.code, size: size, inode: inode)) }
    }

    private func file(_ filed: Filed) -> Bool {
        state.withLock { state in
            state.rejected.append(filed)
            return state.moves
        }
    }

    var codes: [String] { state.withLock { $0.rejected.map(\.code) } }
    var filed: [Filed] { state.withLock { $0.rejected } }

    func failMoves() { state.withLock { $0.moves = false } }
}
#endif
