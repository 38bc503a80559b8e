import CLinuxShim
import Logging
import UploaderCore
#if canImport(Glibc)
import Glibc
#endif

/// Takes a settled file into the queue: safe open, checks, and a `discovered` record in the
/// journal; or rejects it to `rejected/` with its reason.
struct Admission {
    typealias Result = AdmissionResult

    let pipeline: Pipeline

    /// `active`: items a transfer thread is working on now; they are never touched here.
    func admit(_ relativePath: String, active: Set<UInt64> = []) -> Result {
        let logger = pipeline.logger(for: relativePath)
        let file: EvidenceFile
        do {
            file = try pipeline.drop.openEvidence(relativePath)
        } catch {
            switch error {
            case let .rejected(rejection):
                return pipeline.reject(relativePath, rejection, size: 0) ? .rejected : .deferred("could not move it to rejected/")
            case let .system(cause):
                return .deferred(cause.description)
            }
        }
        if file.isOpenForWritingElsewhere() {
            return .deferred("still open for writing")
        }
        if let existing = pipeline.journal.item(forRelativePath: relativePath) {
            if active.contains(existing.id) {
                return .deferred("its earlier version is being uploaded")
            }
            if existing.device == file.device && existing.inode == file.inode && existing.size == file.size
                && existing.mtimeNanos == file.modified {
                return .alreadyQueued(existing.id)
            }
            // Replaced under the same name: the old item is superseded (Delivery terminates its upload).
            // Not recorded = not replaced: the new file waits, and is looked at again later.
            do {
                try pipeline.journal.append(.abandoned(id: existing.id, reason: "replaced by a new file with the same name"))
            } catch {
                return recordingFailed(error, logger: logger)
            }
            logger.notice("file replaced before its upload finished; starting again with the new one")
        }
        let acceptance: Examination.Acceptance
        do {
            switch try pipeline.examiner.examine(file, relativePath: relativePath) {
            case let .rejected(rejection):
                return pipeline.reject(relativePath, rejection, size: file.size, inode: file.inode)
                    ? .rejected : .deferred("could not move it to rejected/")
            case let .accepted(accepted):
                acceptance = accepted
            }
        } catch {
            return .deferred(error.description)
        }
        do {
            let id = try pipeline.journal.append(.discovered(
                id: 0, relativePath: relativePath, device: file.device, inode: file.inode, size: file.size,
                mtimeNanos: file.modified, labels: acceptance.labels, fileType: acceptance.fileType,
                endpoint: acceptance.endpoint, destinationName: acceptance.destination))
            pipeline.board.set(relativePath, state: .queued, size: file.size, labels: acceptance.labels, id: id)
            var fields: Logger.Metadata = [
                "id": "\(id)", "candidate": "\(acceptance.labels.candidate)", "unit": "\(acceptance.labels.unit)",
                "route": "\(acceptance.route.rawValue)", "type": "\(acceptance.fileType)", "size": "\(file.size)",
            ]
            if let (plan, original) = acceptance.compression {
                fields["compress"] = "\(original.summary) to \(plan.summary)"
            }
            logger.info("accepted", metadata: fields)
            return .queued(id)
        } catch {
            return recordingFailed(error, logger: logger)
        }
    }

    private func recordingFailed(_ error: EvidenceError, logger: Logger) -> Result {
        if error.code == .stateFull { return .stateFull(error.description) }
        logger.error("cannot record the file in the journal", metadata: ["error": "\(error)"])
        return .journalFailure(error.description)
    }
}

extension EvidenceFile {
    /// Whether another process still has the file open for writing: a read lease cannot be
    /// taken then. Where leases are not available (not the owner, network file systems) this
    /// says false and the settle time alone decides.
    func isOpenForWritingElsewhere() -> Bool {
        if evu_probe_read_lease(fd) == 0 { return false }
        return errno == EAGAIN || errno == EBUSY
    }
}
