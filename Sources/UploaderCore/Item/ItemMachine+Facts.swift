/// What the item machine is told: the journal's item at the start, the config in force, and
/// the facts the I/O around it finds out. Small values of its own (ids, strings, sizes), so the
/// core knows nothing of the kit's types.
extension ItemMachine {
    /// The item as the journal has it when its delivery starts.
    package struct Item: Sendable, Equatable {
        package var id: UInt64
        package var device: UInt64
        package var inode: UInt64
        package var size: Int64
        /// Nanoseconds since the epoch, as queued.
        package var modified: Int64
        package var sha256: String?
        package var uploadURL: String?
        /// The portal confirmed every byte (journal `delivered`), but the file was not moved yet.
        package var isDelivered: Bool
        /// An oversize video's compressed copy the journal knows of.
        package var compressedCopy: Copy?

        package init(id: UInt64, device: UInt64, inode: UInt64, size: Int64, modified: Int64, sha256: String? = nil,
                    uploadURL: String? = nil, isDelivered: Bool = false, compressedCopy: Copy? = nil) {
            self.id = id
            self.device = device
            self.inode = inode
            self.size = size
            self.modified = modified
            self.sha256 = sha256
            self.uploadURL = uploadURL
            self.isDelivered = isDelivered
            self.compressedCopy = compressedCopy
        }

        /// The bytes the portal gets: the compressed copy's, or the file's own.
        package var uploadLength: Int64 { compressedCopy?.size ?? size }
    }

    /// A compressed copy: what is sent instead of the original.
    package struct Copy: Sendable, Equatable {
        package var size: Int64
        package var sha256: String
        package init(size: Int64, sha256: String) {
            self.size = size
            self.sha256 = sha256
        }
    }

    /// An oversize video under the config in force (`[policy] max_video_size`, `oversize_video`,
    /// `[compress]`).
    package struct Oversize: Sendable, Equatable {
        /// Larger than the destination's video limit.
        package var isOver: Bool
        /// `oversize_video = "compress"`.
        package var compresses: Bool
        /// ffmpeg and ffprobe are there.
        package var toolsInstalled: Bool
        package init(isOver: Bool, compresses: Bool = false, toolsInstalled: Bool = false) {
            self.isOver = isOver
            self.compresses = compresses
            self.toolsInstalled = toolsInstalled
        }
        package static let fits = Oversize(isOver: false)
    }

    /// Which file is at the item's path now.
    package struct Identity: Sendable, Equatable {
        package var device: UInt64
        package var inode: UInt64
        package init(device: UInt64, inode: UInt64) {
            self.device = device
            self.inode = inode
        }
    }

    /// The file, opened safely.
    package struct OpenedFile: Sendable, Equatable {
        package var device: UInt64
        package var inode: UInt64
        package var size: Int64
        package var modified: Int64
        package var fileName: String
        package init(device: UInt64, inode: UInt64, size: Int64, modified: Int64, fileName: String) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modified = modified
            self.fileName = fileName
        }
    }

    /// An item delivered earlier with the same content and labels.
    package struct Earlier: Sendable, Equatable {
        package var id: UInt64
        /// Where it went in `uploaded/` (or its path, if the journal lost that).
        package var name: String
        package var uploadURL: String?
        package init(id: UInt64, name: String, uploadURL: String?) {
            self.id = id
            self.name = name
            self.uploadURL = uploadURL
        }
    }

    /// An upload the portal holds whose journal record was lost, matching this file.
    package struct Orphan: Sendable, Equatable {
        package var url: String
        package var offset: Int64
        package init(url: String, offset: Int64) {
            self.url = url
            self.offset = offset
        }
    }

    /// A step that did not happen. `kind`: the journal could not be written, or the state folder
    /// is full (both: "recording failed"), or anything else.
    package struct Failure: Sendable, Equatable {
        package enum Kind: Sendable, Equatable { case journal, stateFull, other }
        package var kind: Kind
        /// The error as people read it (its description).
        package var message: String
        package init(_ kind: Kind, _ message: String) {
            self.kind = kind
            self.message = message
        }
        var isRecording: Bool { kind == .journal || kind == .stateFull }
    }

    /// How an upload failed, classified once by the transport (`TusFailure`).
    package enum UploadFailure: Sendable, Equatable {
        /// Stopped on purpose (shutdown).
        case stopped
        /// The portal refused the centre's credentials.
        case unauthorized(String)
        /// The portal will not take a file this large.
        case tooLarge(String)
        /// The portal pointed the upload at an origin that is not trusted.
        case untrustedLocation(String)
        /// Worth trying again later (the link, a timeout, a 5xx, TLS).
        case retryable(String)
        /// Anything else: the portal refused this upload.
        case refused(String)
        /// The file changed while it was read.
        case fileChanged
    }

    /// An upload the portal confirmed whole. `unchanged`: the file (and its copy) still as
    /// opened, checked after the last byte; `took`: how long it took.
    package struct Uploaded: Sendable, Equatable {
        package var url: String
        package var resumedFrom: Int64?
        package var took: Duration
        package var unchanged: Bool
        package init(url: String, resumedFrom: Int64? = nil, took: Duration = .zero, unchanged: Bool = true) {
            self.url = url
            self.resumedFrom = resumedFrom
            self.took = took
            self.unchanged = unchanged
        }
    }

    /// What else is known when an upload failed: whether the file is still as opened, the
    /// journal error that stopped it (if one did), and the upload URL the journal has now.
    package struct Aftermath: Sendable, Equatable {
        package var unchanged: Bool
        package var recording: Failure?
        package var knownURL: String?
        package init(unchanged: Bool = true, recording: Failure? = nil, knownURL: String? = nil) {
            self.unchanged = unchanged
            self.recording = recording
            self.knownURL = knownURL
        }
    }
}
