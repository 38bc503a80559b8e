/// What a file holds, judged by its first bytes.
package enum ContentKind: Sendable, Equatable {
    case video(VideoContainer)
    /// A non-video file recognised by its magic bytes (PDF, images, ZIP-based office files, text...).
    case document(mimeType: String)
    case unknown

    var isVideo: Bool {
        if case .video = self { return true }
        return false
    }

    /// A few words for an exams officer: "an MP4 video", "a PDF document".
    var plainDescription: String {
        switch self {
        case .video(let container):
            switch container {
            case .mp4: return "an MP4 video"
            case .quicktime: return "a QuickTime (MOV) video"
            case .threeGPP: return "a 3GP phone video"
            case .avi: return "an AVI video"
            case .matroska: return "a Matroska (MKV) video"
            case .webm: return "a WebM video"
            case .asf: return "a Windows Media (WMV/ASF) file"
            case .mpegTS: return "an MPEG transport stream video"
            case .mpegPS: return "an MPEG video"
            }
        case .document(let mimeType):
            return DocumentSignatures.plainDescription(ofMimeType: mimeType)
        case .unknown:
            return "a file of a type that is not recognised"
        }
    }
}
