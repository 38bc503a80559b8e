/// Tells what a file holds from its first bytes, and which MIME type it is uploaded as.
package enum ContentSniffer {
    /// How many bytes the caller reads from the start of the file (fewer if the file is shorter).
    package static let headLength = 1024

    /// Recognise by bytes: videos first (ISO-BMFF `ftyp`, AVI, EBML, ASF, MPEG-TS/M2TS, MPEG-PS),
    /// then common documents by their magic, then plain UTF-8 text. Never traps, whatever the bytes.
    package static func sniff(_ head: [UInt8]) -> ContentKind {
        if let iso = VideoSignatures.isoBaseMedia(head) { return iso }
        if let container = VideoSignatures.container(of: head) { return .video(container) }
        if let mime = DocumentSignatures.mimeType(of: head) { return .document(mimeType: mime) }
        return .unknown
    }

    /// The MIME type for the `filetype` metadata. The bytes decide; the name only refines what the
    /// bytes cannot tell (WMV versus ASF, which Office format a ZIP is).
    static func mimeType(of kind: ContentKind, fileName: String) -> String {
        let ext = fileNameExtension(fileName)?.lowercased()
        switch kind {
        case .video(let container):
            switch container {
            case .mp4: return "video/mp4"
            case .quicktime: return "video/quicktime"
            case .threeGPP: return "video/3gpp"
            case .avi: return "video/x-msvideo"
            case .matroska: return "video/x-matroska"
            case .webm: return "video/webm"
            case .asf: return ext == "wmv" ? "video/x-ms-wmv" : "video/x-ms-asf"
            case .mpegTS: return "video/mp2t"
            case .mpegPS: return "video/mpeg"
            }
        case .document(let mimeType):
            if mimeType == DocumentSignatures.zipMimeType, let ext, let office = DocumentSignatures.officeMimeTypes[ext] {
                return office
            }
            return mimeType
        case .unknown:
            return "application/octet-stream"
        }
    }

    static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "qt", "3gp", "3g2", "avi", "mkv", "webm", "wmv", "asf",
        "ts", "mts", "m2ts", "mpg", "mpeg", "vob",
    ]

    /// Whether the name's extension says "video" (case-insensitive).
    static func extensionClaimsVideo(_ fileName: String) -> Bool {
        guard let ext = fileNameExtension(fileName) else { return false }
        return videoExtensions.contains(ext.lowercased())
    }
}
