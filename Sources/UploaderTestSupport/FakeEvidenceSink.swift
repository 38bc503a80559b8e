#if DEBUG  // `@testable import` needs a debug build; see Package.swift.
@testable import EvidenceUploaderKit
import Synchronization
@testable import UploaderCore
@testable import UploaderJournal
@testable import UploaderSystem

/// `uploaded/` in memory: moves take the file out of the fake drop folder and keep its note;
/// a name already taken gets " (2)"... like `FolderMover`; a move can be made to fail.
final class FakeEvidenceSink: EvidenceSink {
    struct Placed: Sendable, Equatable {
        var destination: String
        var inode: UInt64
    }

    private struct State {
        var placed: [Placed] = []
        var notes: [String: String] = [:]
        var keptCopies: [String] = []
        var moveFailure: EvidenceError? = nil
    }

    private let drop: FakeDropFolder
    private let state = Mutex(State())

    init(drop: FakeDropFolder) {
        self.drop = drop
    }

    func move(_ relativePath: String, expectedInode: UInt64?, note: FolderMover.Note) throws(EvidenceError) -> String {
        if let failure = state.withLock({ $0.moveFailure }) { throw failure }
        guard let file = drop.file(relativePath), expectedInode == nil || file.inode == expectedInode else {
            throw EvidenceError(.system, "\(relativePath.debugQuoted) was replaced before it could be moved; it is left where it is")
        }
        let destination = state.withLock { state in
            var candidate = relativePath
            var attempt = 1
            while state.placed.contains(where: { $0.destination == candidate }) {
                attempt += 1
                let parts = relativePath.split(separator: "/").map(String.init)
                candidate = (parts.dropLast() + [FolderMover.numbered(parts.last ?? relativePath, attempt)]).joined(separator: "/")
            }
            state.notes[FolderMover.notePath(beside: candidate, suffix: note.suffix)] = note.text(candidate)
            state.placed.append(Placed(destination: candidate, inode: file.inode))
            return candidate
        }
        drop.remove(relativePath)
        return destination
    }

    func find(_ relativePath: String, inode: UInt64) -> String? {
        state.withLock { state in
            state.placed.first { $0.inode == inode && ($0.destination == relativePath || numberedVariant($0.destination, of: relativePath)) }?.destination
        }
    }

    func writeNote(_ text: String, beside destination: String, suffix: String) throws(EvidenceError) {
        state.withLock { $0.notes[FolderMover.notePath(beside: destination, suffix: suffix)] = text }
    }

    func keepCompressedCopy(_ copy: CompressedCopy, id: UInt64, originalAt destination: String) throws(EvidenceError) {
        state.withLock { $0.keptCopies.append(CompressionStage.copyPath(forOriginalAt: destination)) }
    }

    /// A file already here, as after a crash between the move and its record.
    func place(_ destination: String, inode: UInt64) {
        state.withLock { $0.placed.append(Placed(destination: destination, inode: inode)) }
    }

    /// Every move fails with this error from now on (nil: moves work again).
    func failMoves(_ error: EvidenceError?) { state.withLock { $0.moveFailure = error } }

    var placed: [Placed] { state.withLock { $0.placed } }
    var notes: [String: String] { state.withLock { $0.notes } }
    var keptCopies: [String] { state.withLock { $0.keptCopies } }

    private func numberedVariant(_ destination: String, of relativePath: String) -> Bool {
        (2...1000).contains { n in
            let parts = relativePath.split(separator: "/").map(String.init)
            return (parts.dropLast() + [FolderMover.numbered(parts.last ?? relativePath, n)]).joined(separator: "/") == destination
        }
    }
}
#endif
