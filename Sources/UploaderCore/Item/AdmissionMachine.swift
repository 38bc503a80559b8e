/// Taking a settled file into the queue, as a value: open it safely, make sure nobody is still
/// writing it, settle it against the journal's unfinished item for the same path, examine it,
/// record it (`discovered`). Events in, actions out, no I/O, no clock; `Admission` is the thin
/// driver that performs the actions.
///
/// `start()` and `handle(_:)` return the actions to perform in order: any `.tell` first, then
/// one action whose result is the next event, or `.end` with the result.
///
/// Each rule is stated here once: "a file that cannot be opened safely is rejected, one that
/// fails to open for a passing reason waits", "a file still open for writing waits", "an item
/// being uploaded is never touched", "the same file is queued once", "a file replaced under the
/// same name supersedes its item (recorded first)", "a rejection that cannot be filed waits",
/// "a journal that cannot be written stops the process, a full state folder only new files".
package struct AdmissionMachine: Sendable {
    /// Items a transfer thread is working on now: never touched here.
    package let active: Set<UInt64>

    private var state: State = .idle
    private var file: File?

    package init(active: Set<UInt64> = []) {
        self.active = active
    }

    private enum State: Sendable {
        case idle
        case opening
        case checkingWriters
        case findingQueued
        case replacing
        case examining
        case rejecting
        case recording
        case ended
    }

    package static let replacedReason = "replaced by a new file with the same name"

    package mutating func start() -> [Action] {
        guard case .idle = state else { return end(.deferred("the admission was started twice")) }
        state = .opening
        return [.open]
    }

    package mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case let (.opening, .opened(opened)):
            file = opened
            state = .checkingWriters
            return [.checkWriters]
        case let (.opening, .refused(rejection)):
            return reject(rejection)
        case let (.opening, .failed(failure)):
            return end(.deferred(failure.message))

        case let (.checkingWriters, .writers(stillWriting)):
            if stillWriting { return end(.deferred("still open for writing")) }
            state = .findingQueued
            return [.findQueued]

        case (.findingQueued, .queued(nil)):
            return examine()
        case let (.findingQueued, .queued(existing?)):
            if active.contains(existing.id) { return end(.deferred("its earlier version is being uploaded")) }
            if existing.file == file { return end(.alreadyQueued(existing.id)) }
            // Replaced under the same name: the old item is superseded (its delivery withdraws the
            // upload). Not recorded = not replaced: the new file waits, and is looked at again later.
            state = .replacing
            return [.record(.abandoned(id: existing.id, reason: Self.replacedReason))]
        case (.replacing, .recorded):
            return [.tell(.replaced)] + examine()

        case (.examining, .accepted):
            guard let file else { return end(.deferred("examined before the file was opened")) }
            state = .recording
            return [.record(.discovered(file))]
        case let (.examining, .refused(rejection)):
            return reject(rejection)
        case let (.examining, .failed(failure)):
            return end(.deferred(failure.message))

        case let (.rejecting, .rejectionFiled(moved)):
            return end(moved ? .rejected : .deferred("could not move it to rejected/"))

        case let (.recording, .recorded(id)):
            return [.tell(.accepted(id: id))] + end(.queued(id))
        case let (.replacing, .failed(failure)), let (.recording, .failed(failure)):
            return recordingFailed(failure)

        default:
            return end(.deferred("the admission's steps came out of order (\(event) while \(state))"))
        }
    }

    // MARK: - Steps

    private mutating func examine() -> [Action] {
        state = .examining
        return [.examine]
    }

    /// To `rejected/` with its reason: the file that was opened (its size, and only that inode
    /// is moved), or, when it could not be opened, whatever is at the path.
    private mutating func reject(_ rejection: Rejection) -> [Action] {
        state = .rejecting
        return [.reject(rejection, opened: file)]
    }

    /// A full state folder holds new files back until space is freed; a journal that can no
    /// longer be trusted stops the process.
    private mutating func recordingFailed(_ failure: Failure) -> [Action] {
        if failure.kind == .stateFull { return end(.stateFull(failure.message)) }
        return [.tell(.cannotRecord(failure.message))] + end(.journalFailure(failure.message))
    }

    private mutating func end(_ result: AdmissionResult) -> [Action] {
        state = .ended
        return [.end(result)]
    }
}

/// The events the I/O around the admission machine feeds in, the actions it asks for, and the
/// small values they carry.
extension AdmissionMachine {
    package enum Event: Sendable, Equatable {
        /// `.open`: the file, opened safely.
        case opened(File)
        /// `.open`, `.examine`: the file is not something that is uploaded, for this reason.
        case refused(Rejection)
        /// `.checkWriters`: whether another process still has the file open for writing.
        case writers(Bool)
        /// `.findQueued`: the journal's unfinished item for the same path, if there is one.
        case queued(Queued?)
        /// `.examine`: it goes to a destination, with its labels (the driver keeps the details).
        case accepted
        /// `.record`: in the journal, as this item.
        case recorded(UInt64)
        /// `.reject`: moved to `rejected/` with its reason, or not.
        case rejectionFiled(moved: Bool)
        /// The step asked for did not happen (opening, examining: for a passing reason).
        case failed(Failure)
    }

    package enum Action: Sendable, Equatable {
        /// Open the file safely (`.opened`, `.refused` or `.failed`).
        case open
        /// Is another process still writing it? (`.writers`)
        case checkWriters
        /// Look in the journal for an unfinished item at the same path (`.queued`).
        case findQueued
        /// Apply the destination's rules and labels to the open file (`.accepted`, `.refused` or
        /// `.failed`).
        case examine
        /// Append a record (`.recorded` or `.failed`).
        case record(Record)
        /// Move the file to `rejected/` with its reason (`.rejectionFiled`). `opened`: the file
        /// that was opened, nil when it could not be.
        case reject(Rejection, opened: File?)
        /// Say this to the operator (no event follows).
        case tell(Notice)
        /// The admission is over.
        case end(AdmissionResult)
    }

    /// The journal records admission writes.
    package enum Record: Sendable, Equatable {
        /// The earlier item at this path is superseded.
        case abandoned(id: UInt64, reason: String)
        /// The file, examined and accepted, joins the queue.
        case discovered(File)
    }

    /// What the operator hears of the machine's decisions; the driver words it.
    package enum Notice: Sendable, Equatable {
        case replaced
        case accepted(id: UInt64)
        case cannotRecord(String)
    }

    /// Which file, as opened (or as the journal has it queued).
    package struct File: Sendable, Equatable {
        package var device: UInt64
        package var inode: UInt64
        package var size: Int64
        /// Nanoseconds since the epoch.
        package var modified: Int64
        package init(device: UInt64, inode: UInt64, size: Int64, modified: Int64) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modified = modified
        }
    }

    /// The journal's unfinished item for the same path.
    package struct Queued: Sendable, Equatable {
        package var id: UInt64
        package var file: File
        package init(id: UInt64, file: File) {
            self.id = id
            self.file = file
        }
    }

    /// Why a file is not uploaded: a stable code and the words for the exams officer.
    package struct Rejection: Sendable, Equatable {
        package var code: String
        package var message: String
        package init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// A step that did not happen: the item machine's kinds (journal, state folder full, other).
    package typealias Failure = ItemMachine.Failure
}
