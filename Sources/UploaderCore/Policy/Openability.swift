/// What makes a file useless to a moderator although it was uploaded whole: a password on it, or a
/// video that stops before its end.
enum Unopenable: Sendable, Equatable {
    case encrypted(EncryptedFormat)
    case unplayableVideo(VideoContainer, VideoDamage)
}

/// The formats whose encryption is recognised by their bytes.
enum EncryptedFormat: String, Sendable, CaseIterable {
    case zip
    case sevenZip = "7z"
    case rar
    case pdf
    /// An Office document saved with a password: OOXML inside an OLE file, or a legacy .doc/.xls/.ppt.
    case office
}

/// Why a video will not play, found by walking its structure.
enum VideoDamage: Sendable, Equatable {
    /// An MP4/MOV without its index (`moov`): the recording stopped before the camera wrote it.
    case missingIndex
    /// An MP4/MOV without media data (`mdat`).
    case missingMediaData
    /// A box (MP4/MOV), Segment (Matroska) or RIFF chunk (AVI) that runs past the end of the file.
    case cutShort(part: String)
    /// A box size that cannot be right (2 to 7 bytes) before the index and the media were seen.
    case brokenStructure
    /// Matroska/WebM: no Segment after the EBML header.
    case missingSegment
}

/// The rule "a moderator must be able to open it": each half can be switched off in `[policy]`.
/// Pure: it reads the file through `EvidenceBytes`, a bounded number of bytes per format
/// (see `EncryptionDetector` and `VideoCompleteness`).
package struct OpenabilityPolicy: Sendable {
    let rejectEncrypted: Bool
    let rejectUnplayableVideo: Bool

    package init(rejectEncrypted: Bool, rejectUnplayableVideo: Bool) {
        self.rejectEncrypted = rejectEncrypted
        self.rejectUnplayableVideo = rejectUnplayableVideo
    }

    /// What stops a moderator opening the file, or nil. `head` is the file's first bytes
    /// (`ContentSniffer.headLength`), `kind` what they were recognised as.
    func problem(kind: ContentKind, head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Unopenable? {
        if rejectEncrypted, let format = try EncryptionDetector.encryptedFormat(head: head, bytes: bytes) {
            return .encrypted(format)
        }
        if rejectUnplayableVideo, case .video(let container) = kind,
           let damage = try VideoCompleteness.damage(container, bytes: bytes) {
            return .unplayableVideo(container, damage)
        }
        return nil
    }

    /// The rejection for `problem`, worded for the exams officer.
    package func check(fileName: String, kind: ContentKind, head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> Rejection? {
        guard let problem = try problem(kind: kind, head: head, bytes: bytes) else { return nil }
        switch problem {
        case .encrypted(let format): return .encrypted(format, fileName: fileName)
        case .unplayableVideo(let container, let damage): return .unplayableVideo(container, damage)
        }
    }
}

/// Which encryption check applies is decided by the head's magic bytes, whatever the name says.
enum EncryptionDetector {
    static func encryptedFormat(head: [UInt8], bytes: some EvidenceBytes) throws(EvidenceError) -> EncryptedFormat? {
        if ZipEncryption.applies(head) {
            return try ZipEncryption.isEncrypted(head: head, bytes: bytes) ? .zip : nil
        }
        if SevenZipEncryption.applies(head) {
            return try SevenZipEncryption.isEncrypted(head: head, bytes: bytes) ? .sevenZip : nil
        }
        if RAREncryption.applies(head) {
            return try RAREncryption.isEncrypted(head: head, bytes: bytes) ? .rar : nil
        }
        if PDFEncryption.applies(head) {
            return try PDFEncryption.isEncrypted(bytes: bytes) ? .pdf : nil
        }
        if OfficeEncryption.applies(head) {
            return try OfficeEncryption.isEncrypted(head: head, bytes: bytes) ? .office : nil
        }
        return nil
    }
}
