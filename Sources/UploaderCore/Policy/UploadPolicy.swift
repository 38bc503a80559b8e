/// The awarding body's rules for what may be uploaded and by which route. Pure: it sees a name, a
/// size and the first bytes (`ContentSniffer.headLength` of them), never the file system.
package struct UploadPolicy: Sendable {
    package let maxVideoSize: Int64
    let standardUploadLimit: Int64
    let maxFileSize: Int64

    package init(maxVideoSize: Int64, standardUploadLimit: Int64, maxFileSize: Int64) {
        self.maxVideoSize = maxVideoSize
        self.standardUploadLimit = standardUploadLimit
        self.maxFileSize = maxFileSize
    }

    /// The one route rule: up to the standard limit (inclusive) the standard upload, above it
    /// the large-file upload.
    package func route(forSize size: Int64) -> UploadRoute {
        size <= standardUploadLimit ? .standard : .largeFile
    }

    /// Rules, in order: empty files are rejected; a name that claims video must hold video; a video
    /// (recognised by its bytes, whatever its name) may be at most `maxVideoSize`, any other file at
    /// most `maxFileSize`. Accepted files up to `standardUploadLimit` take the standard route,
    /// larger ones the large-file route. Every limit is inclusive.
    package func decide(fileName: String, size: Int64, head: [UInt8]) -> PolicyDecision {
        guard size > 0 else { return .reject(.emptyFile()) }
        let kind = ContentSniffer.sniff(head)
        if ContentSniffer.extensionClaimsVideo(fileName) && !kind.isVideo {
            return .reject(.notAVideo(fileName: fileName, content: kind))
        }
        if kind.isVideo {
            if size > maxVideoSize { return .reject(.videoTooLarge(size: size, limit: maxVideoSize)) }
        } else if size > maxFileSize {
            return .reject(.fileTooLarge(size: size, limit: maxFileSize))
        }
        return .accept(route: route(forSize: size), kind: kind, fileType: ContentSniffer.mimeType(of: kind, fileName: fileName))
    }
}
