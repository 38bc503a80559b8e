/// One file's delivery, from the journal's item to `uploaded/` (or `rejected/`, or dropped):
/// hash once, never send the same content and labels twice, compress an oversize video, claim
/// an orphan upload, upload (resuming), confirm, move with the receipt, each step recorded
/// before it is relied on; and the recoveries after a crash. A plain state machine: events in,
/// actions out, no I/O, no clock. `Delivery` is the thin driver that performs the actions.
///
/// `start()` and `handle(_:)` return the actions to perform in order: any `.tell` first, then
/// one action whose result is the next event, or `.end` with the outcome.
///
/// Each rule is stated here once: "a delivered item is finished, never sent again", "a file
/// gone but already in uploaded/ that the portal holds whole is finished" (a torn journal
/// tail), "a changed file supersedes its item", "a journal that cannot be written ends the
/// delivery, a full state folder only for now", "a complete upload of a file taken away is
/// kept on the portal".
package struct ItemMachine: Sendable {
    package let item: Item
    package let oversize: Oversize
    /// True when the delivery ended because its upload failed (the driver then reports the
    /// transfer's retry cause).
    package private(set) var endedByTransferFailure = false

    private var state: State = .idle
    private var sha256: String?
    private var uploadURL: String?
    private var file: OpenedFile?
    /// The compressed copy being sent, once made.
    private var copy: Copy?

    package init(item: Item, oversize: Oversize = .fits) {
        self.item = item
        self.oversize = oversize
        sha256 = item.sha256
        uploadURL = item.uploadURL
    }

    private enum State: Sendable {
        case idle
        /// Delivered, not moved: is the file still in the drop folder?
        case checkingDrop
        case findingMoved(Finding)
        case opening
        case askingPortal(Asking)
        case hashing
        case lookingForDuplicate(String)
        case compressing
        case claimingOrphan(Upload)
        case uploading(Upload)
        case recording(AfterRecord)
        case moving(Finishing)
        case writingReceipt(String)
        case keepingCopy(String, Finishing)
        case withdrawing(reason: String)
        case rejecting(RejectReason)
        case ended
    }

    private enum Finding: Sendable {
        /// Delivered, not in the drop folder: moved before a crash lost the `moved` record?
        case delivered
        /// Gone from the drop folder with an upload: moved before a torn tail lost `delivered`?
        case tornTail(url: String)
    }

    private enum Asking: Sendable {
        case tornTail(url: String)
        /// A file taken away: keep its upload if the portal holds all of it.
        case beforeDropping(reason: String, url: String)
    }

    private enum AfterRecord: Sendable {
        case hashed(took: Duration)
        case orphanCreated(Orphan, Upload)
        case delivered(Uploaded, length: Int64)
        case deliveredAfterTornTail
        case moved(String, Finishing)
        case abandoned(reason: String)
    }

    /// How a move to `uploaded/` ends.
    private enum Finishing: Sendable {
        /// Uploaded now, or before a crash that came before the move.
        case delivered
        case duplicate
        /// Found in `uploaded/` already (the crash came between the move and its record).
        case recovered
    }

    static let goneReason = "the file is no longer in the drop folder"
    static let changedReason = "the file changed during its upload"

    package mutating func start() -> [Action] {
        guard case .idle = state else { return unexpected("start") }
        if item.isDelivered { return recoverDelivered() }
        state = .opening
        return [.open]
    }

    package mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        // A crash after the portal confirmed everything: finish the move without sending again.
        case let (.checkingDrop, .dropStatted(identity)):
            if let identity, identity.inode == item.inode, identity.device == item.device {
                return [.tell(.finishingInterruptedDelivery)] + move(receipt(), .delivered)
            }
            state = .findingMoved(.delivered)
            return [.findMoved]
        case let (.findingMoved(.delivered), .foundMoved(destination?)):
            state = .writingReceipt(destination)
            return [.writeReceipt(at: destination, receipt())]
        case (.findingMoved(.delivered), .foundMoved(nil)):
            return supersede("delivered, but the file is no longer in the drop folder", url: uploadURL)
        case let (.writingReceipt(destination), .receiptWritten):
            return keepCopy(destination, .recovered)

        // Gone from the drop folder. If the journal lost its last records (torn tail), the file
        // may already be in uploaded/ and the portal may hold all of it: finish then.
        case (.opening, .gone):
            guard let url = uploadURL else { return supersede(Self.goneReason, url: nil, keepComplete: true) }
            state = .findingMoved(.tornTail(url: url))
            return [.findMoved]
        case let (.findingMoved(.tornTail(url)), .foundMoved(found)):
            guard found != nil else { return supersede(Self.goneReason, url: url, keepComplete: true) }
            state = .askingPortal(.tornTail(url: url))
            return [.askPortalHoldsAll(url: url, length: item.uploadLength)]
        case let (.askingPortal(.tornTail(url)), .portalHoldsAll(holdsAll)):
            guard holdsAll else { return supersede(Self.goneReason, url: url, keepComplete: true) }
            return record(.delivered, then: .deliveredAfterTornTail)

        case let (.opening, .opened(opened)):
            guard opened.device == item.device, opened.inode == item.inode, opened.size == item.size,
                  opened.modified == item.modified else {
                return supersede("the file changed since it was queued", url: uploadURL)
            }
            file = opened
            // Hash once: the journal keeps it.
            guard let sha256 else {
                state = .hashing
                return [.hash]
            }
            return lookForDuplicate(sha256)
        case let (.hashing, .hashed(digest, took)):
            sha256 = digest
            return record(.hashed(sha256: digest), then: .hashed(took: took))
        case let (.hashing, .failed(failure)):
            if failure.isRecording { return recordingFailed(failure) }
            return [.tell(.cannotHash(failure.message)), .end(.failed(failure.message, permanent: false))]
        case (.hashing, .stopped), (.compressing, .stopped):
            return end(.stopped)

        // Already delivered with the same content and labels? Then never send it twice.
        case let (.lookingForDuplicate(sha256), .duplicate(earlier)):
            if let earlier, earlier.id != item.id {
                return [.tell(.duplicate(earlier: earlier.name))]
                    + move(Receipt(sha256: sha256, uploadURL: earlier.uploadURL ?? "", duplicateOf: earlier.name), .duplicate)
            }
            return compressIfOversize()

        case let (.compressing, .compressed(made)):
            copy = made
            return uploadStage()
        case let (.compressing, .compressionRefused(code, message)):
            return reject(.refused(code: code, message: message))
        case let (.compressing, .compressionFailed(failure, permanent)):
            if failure.isRecording { return recordingFailed(failure) }
            return [.tell(.cannotCompress(failure.message)), .end(.failed(failure.message, permanent: permanent))]

        case let (.claimingOrphan(upload), .orphan(orphan?)):
            return record(.created(uploadURL: orphan.url), then: .orphanCreated(orphan, upload))
        case let (.claimingOrphan(upload), .orphan(nil)):
            state = .uploading(upload)
            return [.upload(upload)]

        // The file must not have changed while it was read (the transport checks before every
        // chunk; this catches a change during the last one). The mixed upload is withdrawn.
        case let (.uploading(upload), .uploaded(done)):
            guard done.unchanged else {
                return [.tell(.fileChangedDuringUpload)] + supersede(Self.changedReason, url: done.url)
            }
            return record(.delivered, then: .delivered(done, length: upload.length))
        case let (.uploading, .uploadFailed(failure, after)):
            return uploadFailed(failure, after)

        case let (.moving(finishing), .moved(destination)):
            return keepCopy(destination, finishing)
        case let (.keepingCopy(destination, finishing), .copyKept):
            return record(.moved(destination: destination), then: .moved(destination, finishing))
        case let (.moving(finishing), .failed(failure)), let (.keepingCopy(_, finishing), .failed(failure)):
            if failure.isRecording { return recordingFailed(failure) }
            let notice: Notice = finishing == .recovered ? .receiptNotWritten(failure.message) : .notMoved(failure.message)
            return [.tell(notice), .end(.failed(failure.message, permanent: false))]
        case let (.writingReceipt, .failed(failure)):
            if failure.isRecording { return recordingFailed(failure) }
            return [.tell(.receiptNotWritten(failure.message)), .end(.failed(failure.message, permanent: false))]

        case let (.askingPortal(.beforeDropping(reason, url)), .portalHoldsAll(holdsAll)):
            if holdsAll {
                return [.tell(.portalKeepsUpload(url: url))] + record(.abandoned(reason: reason), then: .abandoned(reason: reason))
            }
            state = .withdrawing(reason: reason)
            return [.withdraw(url: url)]
        case let (.withdrawing(reason), .withdrawn):
            return record(.abandoned(reason: reason), then: .abandoned(reason: reason))

        case let (.rejecting(reason), .rejectionFiled(moved, code, message)):
            if moved { return end(.rejected(code)) }
            if case let .portalTooLarge(portalMessage) = reason { return end(.failed(portalMessage, permanent: true)) }
            return end(.failed(message, permanent: true))

        case let (.recording(next), .recorded):
            return recorded(next)
        case let (.recording, .failed(failure)):
            return recordingFailed(failure)

        default:
            return unexpected("\(event)")
        }
    }

    /// The name the portal is given for a compressed copy: the original's, as an MP4.
    package static func sentName(_ original: String) -> String {
        guard let dot = original.lastIndex(of: "."), dot != original.startIndex else { return original + ".mp4" }
        return original[..<dot] + ".mp4"
    }

    // MARK: - Steps

    private mutating func recoverDelivered() -> [Action] {
        state = .checkingDrop
        return [.statDrop]
    }

    private mutating func recorded(_ next: AfterRecord) -> [Action] {
        switch next {
        case let .hashed(took):
            guard let sha256 else { return unexpected("hashed without a hash") }
            return [.tell(.hashed(sha256: sha256, took: took))] + lookForDuplicate(sha256)
        case let .orphanCreated(orphan, upload):
            uploadURL = orphan.url
            var resumed = upload
            resumed.resumeURL = orphan.url
            state = .uploading(resumed)
            return [.tell(.continuingOrphan(url: orphan.url, offset: orphan.offset)), .upload(resumed)]
        case let .delivered(done, length):
            uploadURL = done.url
            let sent = done.resumedFrom.map { length - $0 } ?? length
            return [.tell(.delivered(url: done.url, took: done.took, sentBytes: sent, resumedFrom: done.resumedFrom ?? 0))]
                + move(receipt(took: done.took), .delivered)
        case .deliveredAfterTornTail:
            return recoverDelivered()
        case let .moved(destination, finishing):
            switch finishing {
            case .recovered: return end(.delivered(destination))
            case .delivered: return [.tell(.movedToUploaded(destination))] + end(.delivered(destination))
            case .duplicate: return [.tell(.movedToUploaded(destination))] + end(.duplicate(destination))
            }
        case let .abandoned(reason):
            return end(.superseded(reason))
        }
    }

    private mutating func lookForDuplicate(_ sha256: String) -> [Action] {
        state = .lookingForDuplicate(sha256)
        return [.findDuplicate(sha256: sha256)]
    }

    /// An oversize video (`oversize_video = "compress"`): what is sent is its compressed copy,
    /// made once (the journal keeps it). Turned off, or ffmpeg gone, since the file was queued:
    /// the usual rejection.
    private mutating func compressIfOversize() -> [Action] {
        guard oversize.isOver else { return uploadStage() }
        if oversize.compresses && oversize.toolsInstalled {
            state = .compressing
            return [.compress]
        }
        return (oversize.compresses ? [.tell(.compressionToolsMissing)] : []) + reject(.videoTooLarge)
    }

    /// Upload, resuming at the portal's offset when the journal knows the upload, or when the
    /// portal holds an upload of this file that a damaged journal lost.
    private mutating func uploadStage() -> [Action] {
        guard let file, let sha256 else { return unexpected("an upload before the file was opened and hashed") }
        let upload = Upload(fileName: copy == nil ? file.fileName : Self.sentName(file.fileName),
                            length: copy?.size ?? file.size, sha256: copy?.sha256 ?? sha256,
                            resumeURL: uploadURL, sendsCopy: copy != nil)
        guard uploadURL == nil else {
            state = .uploading(upload)
            return [.upload(upload)]
        }
        state = .claimingOrphan(upload)
        return [.claimOrphan(fileName: upload.fileName, length: upload.length, sha256: upload.sha256)]
    }

    private mutating func uploadFailed(_ failure: UploadFailure, _ after: Aftermath) -> [Action] {
        if let recording = after.recording { return recordingFailed(recording) }
        if failure == .fileChanged || (failure != .stopped && !after.unchanged) {
            return [.tell(.fileChangedDuringUpload)] + supersede(Self.changedReason, url: after.knownURL)
        }
        endedByTransferFailure = true
        switch failure {
        case .stopped:
            return end(.stopped)
        case let .unauthorized(reason):
            return [.tell(.unauthorized(reason))] + end(.unauthorized(reason))
        case let .tooLarge(message):
            return reject(.portalTooLarge(message))
        case let .untrustedLocation(reason):
            return [.tell(.untrustedLocation(reason))] + end(.failed(reason, permanent: true))
        case let .retryable(reason):
            return [.tell(.willRetry(reason))] + end(.failed(reason, permanent: false))
        case let .refused(reason):
            return [.tell(.uploadFailed(reason))] + end(.failed(reason, permanent: true))
        case .fileChanged:
            return unexpected("fileChanged")
        }
    }

    /// Receipt, move to uploaded/, keep the compressed copy beside it, record it.
    private mutating func move(_ receipt: Receipt, _ finishing: Finishing) -> [Action] {
        state = .moving(finishing)
        return [.move(receipt)]
    }

    private mutating func keepCopy(_ destination: String, _ finishing: Finishing) -> [Action] {
        guard copy != nil || item.compressedCopy != nil else {
            return record(.moved(destination: destination), then: .moved(destination, finishing))
        }
        state = .keepingCopy(destination, finishing)
        return [.keepCompressedCopy(originalAt: destination)]
    }

    private func receipt(took: Duration = .zero) -> Receipt {
        Receipt(sha256: sha256 ?? "", uploadURL: uploadURL ?? "", took: took)
    }

    private mutating func reject(_ reason: RejectReason) -> [Action] {
        state = .rejecting(reason)
        return [.reject(reason)]
    }

    private mutating func record(_ record: Record, then next: AfterRecord) -> [Action] {
        state = .recording(next)
        return [.record(record)]
    }

    /// A full state folder stops this item for now (retried later, resumable); a journal that
    /// can no longer be trusted stops the process.
    private mutating func recordingFailed(_ failure: Failure) -> [Action] {
        if failure.kind == .stateFull {
            return [.tell(.stateFolderFull(failure.message))] + end(.failed(failure.message, permanent: false))
        }
        return end(.journalFailure(failure.message))
    }

    /// Drops the item. `keepComplete`: withdraw the portal's upload only if it is incomplete
    /// (the file was taken away, so a complete copy is the only one the portal has); a file
    /// that changed always has its mixed upload withdrawn.
    private mutating func supersede(_ reason: String, url: String?, keepComplete: Bool = false) -> [Action] {
        let said: [Action] = [.tell(.dropping(reason: reason))]
        guard let url else { return said + record(.abandoned(reason: reason), then: .abandoned(reason: reason)) }
        if keepComplete {
            state = .askingPortal(.beforeDropping(reason: reason, url: url))
            return said + [.askPortalHoldsAll(url: url, length: item.uploadLength)]
        }
        state = .withdrawing(reason: reason)
        return said + [.withdraw(url: url)]
    }

    private mutating func end(_ outcome: DeliveryOutcome) -> [Action] {
        state = .ended
        return [.end(outcome)]
    }

    /// An event the current step does not expect: the driver's mistake. The item stays queued.
    private mutating func unexpected(_ what: String) -> [Action] {
        end(.failed("the delivery's steps came out of order (\(what) while \(state))", permanent: false))
    }
}
