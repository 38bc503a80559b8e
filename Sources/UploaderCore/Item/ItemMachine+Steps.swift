/// The events the I/O around the item machine feeds in, and the actions it asks for.
extension ItemMachine {
    package enum Event: Sendable, Equatable {
        /// `.statDrop`: what is at the item's path in the drop folder now (nil: nothing).
        case dropStatted(Identity?)
        /// `.open`: the file, opened safely.
        case opened(OpenedFile)
        /// `.open`: it could not be opened (gone, replaced by something else, unreadable).
        case gone
        /// `.findMoved`: where in `uploaded/` the item's file is (by inode), if it is there.
        case foundMoved(String?)
        /// `.askPortalHoldsAll`: whether the portal holds every byte (a failed question says yes).
        case portalHoldsAll(Bool)
        /// `.hash`: the file's SHA-256, and how long it took.
        case hashed(sha256: String, took: Duration)
        /// `.findDuplicate`: the latest finished item with this content and labels.
        case duplicate(Earlier?)
        /// `.compress`: the copy to send.
        case compressed(Copy)
        /// `.compress`: the video itself cannot be sent, for this reason.
        case compressionRefused(code: String, message: String)
        /// `.compress`: the machine could not compress it; `permanent`: not worth trying again by itself.
        case compressionFailed(Failure, permanent: Bool)
        /// `.hash`, `.compress`: stopped on purpose.
        case stopped
        /// `.claimOrphan`: the portal's upload this file continues, if any.
        case orphan(Orphan?)
        case uploaded(Uploaded)
        case uploadFailed(UploadFailure, Aftermath)
        /// `.record`: the record is in the journal.
        case recorded
        /// `.move`: moved to `uploaded/` (this path) with its receipt.
        case moved(to: String)
        case receiptWritten
        case copyKept
        /// `.withdraw`: asked (a failure is said by the driver; nothing follows from it).
        case withdrawn
        /// `.reject`: moved to `rejected/` with its reason, or not; with the rejection's code and words.
        case rejectionFiled(moved: Bool, code: String, message: String)
        /// The step asked for did not happen.
        case failed(Failure)
    }

    package enum Action: Sendable, Equatable {
        /// Is the file still in the drop folder? (`.dropStatted`)
        case statDrop
        /// Open the file safely (`.opened` or `.gone`).
        case open
        /// Look in `uploaded/` for the item's file by its inode (`.foundMoved`).
        case findMoved
        /// Ask the portal whether it holds every byte of this upload (`.portalHoldsAll`).
        case askPortalHoldsAll(url: String, length: Int64)
        /// SHA-256 of the whole file (`.hashed`, `.stopped`, `.failed`).
        case hash
        /// Look in the journal for a finished item with this content and the item's labels.
        case findDuplicate(sha256: String)
        /// Compress the oversize video, or reuse the copy the journal knows.
        case compress
        /// Take the portal's orphan upload that matches what is sent, if one does.
        case claimOrphan(fileName: String, length: Int64, sha256: String)
        case upload(Upload)
        /// Append a record for this item (`.recorded` or `.failed`).
        case record(Record)
        /// Move the file to `uploaded/` with its receipt (`.moved` or `.failed`).
        case move(Receipt)
        /// Write the receipt beside a file already in `uploaded/` at this path.
        case writeReceipt(at: String, Receipt)
        /// Move the compressed copy beside the original at this path in `uploaded/`.
        case keepCompressedCopy(originalAt: String)
        /// Tell the portal this upload is abandoned (`.withdrawn`).
        case withdraw(url: String)
        /// Move the file to `rejected/` with its reason (`.rejectionFiled`).
        case reject(RejectReason)
        /// Say this to the operator (no event follows).
        case tell(Notice)
        /// The delivery is over.
        case end(DeliveryOutcome)
    }

    /// What is sent, and where it resumes.
    package struct Upload: Sendable, Equatable {
        package var fileName: String
        package var length: Int64
        package var sha256: String
        /// The upload to go on with (the server's offset is the truth); nil: create one.
        package var resumeURL: String?
        /// The compressed copy, not the original.
        package var sendsCopy: Bool
        package init(fileName: String, length: Int64, sha256: String, resumeURL: String?, sendsCopy: Bool) {
            self.fileName = fileName
            self.length = length
            self.sha256 = sha256
            self.resumeURL = resumeURL
            self.sendsCopy = sendsCopy
        }
    }

    /// The journal records one delivery writes itself (the transport writes `created` and
    /// `offset` as the upload goes; compression its own).
    package enum Record: Sendable, Equatable {
        case hashed(sha256: String)
        case created(uploadURL: String)
        case delivered
        case moved(destination: String)
        case abandoned(reason: String)
    }

    /// What the receipt says beyond the item's own facts.
    package struct Receipt: Sendable, Equatable {
        package var sha256: String
        package var uploadURL: String
        package var took: Duration
        /// Where the same content went before, for a duplicate.
        package var duplicateOf: String?
        package init(sha256: String, uploadURL: String, took: Duration = .zero, duplicateOf: String? = nil) {
            self.sha256 = sha256
            self.uploadURL = uploadURL
            self.took = took
            self.duplicateOf = duplicateOf
        }
    }

    package enum RejectReason: Sendable, Equatable {
        /// Over the video limit, and not compressed.
        case videoTooLarge
        /// Compression found the video itself cannot be sent.
        case refused(code: String, message: String)
        /// The portal said the file is too large (its words).
        case portalTooLarge(String)
    }

    /// What the operator hears of the machine's decisions; the driver words it.
    package enum Notice: Sendable, Equatable {
        case finishingInterruptedDelivery
        case receiptNotWritten(String)
        case hashed(sha256: String, took: Duration)
        case cannotHash(String)
        case duplicate(earlier: String)
        case compressionToolsMissing
        case cannotCompress(String)
        case continuingOrphan(url: String, offset: Int64)
        case fileChangedDuringUpload
        case delivered(url: String, took: Duration, sentBytes: Int64, resumedFrom: Int64)
        case movedToUploaded(String)
        case notMoved(String)
        case unauthorized(String)
        case untrustedLocation(String)
        case willRetry(String)
        case uploadFailed(String)
        case stateFolderFull(String)
        case dropping(reason: String)
        case portalKeepsUpload(url: String)
    }
}
