import UploaderCore
import UploaderJournal
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// The words the exams officer reads in the folder: a receipt beside every uploaded file,
/// a reason beside every rejected one.
enum Notes {
    /// What a receipt's name adds to its file's name (shortened beside a long name,
    /// `FolderMover.noteName`).
    static let receiptSuffix = ".receipt.txt"
    /// What a rejection's reason adds to its file's name.
    static let reasonSuffix = ".reason.txt"

    struct Delivery {
        var fileName: String
        var folder: String
        var labels: EvidenceLabels
        var size: Int64
        var fileType: String
        var route: UploadRoute
        var sha256: String
        var uploadURL: String
        var finishedAt: Int64  // seconds since the epoch
        var seconds: Double
        var duplicateOf: String? = nil
        /// The awarding body (`[destination.NAME]`); "" without destinations.
        var destination: String = ""
        /// The manifest's notes for the moderator, sent with the file.
        var notes: String? = nil
        /// An oversize video of which a compressed copy was sent instead.
        var compression: Compression? = nil
    }

    /// What was sent in place of an oversize video: both versions, said side by side.
    struct Compression {
        var limit: Int64
        var copyName: String
        var copy: CompressedCopy
    }

    static func receipt(_ d: Delivery) -> String {
        var text = """
        EVIDENCE UPLOADED

        The moderation portal has confirmed that it received every byte of this file.
        Keep the file: evidence must be kept until certificates have been issued.

        File:         \(d.fileName)
        Folder:       \(d.folder.isEmpty ? "(top of the drop folder)" : d.folder)
        \(d.destination.isEmpty ? "" : "Sent to:      \(d.destination)\n")Centre:       \(d.labels.centre)
        Candidate:    \(d.labels.candidate)
        Unit:         \(d.labels.unit)
        Size:         \(sizeWords(d.size))
        Type:         \(d.fileType), \(d.route == .standard ? "standard upload" : "large-file upload")
        \(d.duplicateOf == nil ? "Uploaded:     \(localTime(d.finishedAt)) (took \(durationWords(d.seconds)))" : "Recorded:     \(localTime(d.finishedAt)) (not sent again: see below)")
        \(identity(sha256: d.sha256, uploadURL: d.uploadURL))
        \(d.notes.map { "Notes:        \($0)\n" } ?? "")
        """
        if let duplicateOf = d.duplicateOf {
            text += "\nThe same file with the same labels had already been uploaded (\(duplicateOf)), so it was not sent twice.\n"
        }
        if let c = d.compression {
            let copy = c.copy
            text += """

            COMPRESSED TO FIT
            This video was over the \(ByteFormatting.human(c.limit)) limit, so a compressed copy (\(copy.rung), H.264/AAC MP4)
            was sent to the portal. The original is kept here, unchanged.

            Original:     \(d.fileName)
                          \(sizeWords(d.size)), \(copy.originalWidth)x\(copy.originalHeight), \(durationWords(Double(copy.originalDurationMillis) / 1000))
                          SHA-256 \(d.sha256)
            Sent copy:    \(c.copyName) (beside this receipt)
                          \(sizeWords(copy.size)), \(copy.width)x\(copy.height), \(durationWords(Double(copy.durationMillis) / 1000))
                          SHA-256 \(copy.sha256)
            The portal holds: the compressed copy, SHA-256 \(copy.sha256)

            """
            text += """

            The SHA-256 lines are fingerprints: if the portal's copy has the sent copy's fingerprint,
            it is exactly the compressed copy kept here.

            """
            return text
        }
        text += """

        The SHA-256 line is the file's fingerprint: if the portal's copy has the same fingerprint,
        it is exactly this file.

        """
        return text
    }

    /// The receipt's two lines that name one delivery: the content and the portal's upload.
    private static func identity(sha256: String, uploadURL: String) -> String {
        "SHA-256:      \(sha256)\nPortal copy:  \(uploadURL)"
    }

    /// Whether `text` is a receipt of this delivery (say, one written before a power cut undid
    /// the move it was for).
    static func isReceipt(_ text: String, sha256: String, uploadURL: String) -> Bool {
        text.hasPrefix("EVIDENCE UPLOADED") && text.contains(identity(sha256: sha256, uploadURL: uploadURL) + "\n")
    }

    static func reason(fileName: String, folder: String, rejection: Rejection, at time: Int64, destination: String = "") -> String {
        """
        NOT UPLOADED

        File:      \(fileName)
        Folder:    \(folder.isEmpty ? "(top of the drop folder)" : folder)
        \(destination.isEmpty ? "" : "For:       \(destination)\n")Checked:   \(localTime(time))
        Problem:   \(rejection.code)

        \(rejection.message)

        Nothing has been sent to the portal. This copy has been kept here; once the problem is
        fixed, put the corrected file into the drop folder again.

        """
    }

    /// A size said once: "5 bytes" below 1 kB, else "20.0 MB (20000000 bytes)" (the exact count
    /// to compare with what the portal reports).
    static func sizeWords(_ bytes: Int64) -> String {
        bytes < 1000 ? ByteFormatting.human(bytes) : "\(ByteFormatting.human(bytes)) (\(bytes) bytes)"
    }

    /// "2026-11-23 14:05:09 GMT" in the machine's time zone.
    static func localTime(_ seconds: Int64) -> String {
        WallClock.localText(seconds, format: "%Y-%m-%d %H:%M:%S %Z")
    }

    /// "0.4 seconds" (tenths under 10 s, so a quick upload does not read "0 seconds"), "1 second",
    /// "42 seconds", "3 min 5 s", "2 h 10 min".
    static func durationWords(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "an unknown time" }
        if seconds < 9.95 {
            let tenths = ByteFormatting.fixed(seconds, 1)
            if tenths == "0.0" { return "less than 0.1 seconds" }
            return tenths == "1.0" ? "1 second" : "\(tenths) seconds"
        }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) seconds" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
