/// Recognising the usual non-video evidence (PDF, photos, office files, text) by its first bytes,
/// for the `filetype` metadata and for telling an exams officer what a misnamed file really is.
enum DocumentSignatures {
    static let zipMimeType = "application/zip"
    static let textMimeType = "text/plain"

    static func mimeType(of head: [UInt8]) -> String? {
        if head.has(ascii: "%PDF-", at: 0) { return "application/pdf" }
        if head.has([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], at: 0) { return "image/png" }
        if head.has([0xFF, 0xD8, 0xFF], at: 0) { return "image/jpeg" }
        if head.has(ascii: "GIF87a", at: 0) || head.has(ascii: "GIF89a", at: 0) { return "image/gif" }
        if head.has(ascii: "RIFF", at: 0) {
            if head.has(ascii: "WAVE", at: 8) { return "audio/wav" }
            if head.has(ascii: "WEBP", at: 8) { return "image/webp" }
        }
        if head.has(ascii: "PK", at: 0), head.has([0x03, 0x04], at: 2) || head.has([0x05, 0x06], at: 2) {
            return openDocumentMimeType(head) ?? zipMimeType
        }
        if isPlainText(head) { return textMimeType }
        return nil
    }

    /// ODF files begin with a stored entry named `mimetype` holding their MIME type.
    static func openDocumentMimeType(_ head: [UInt8]) -> String? {
        guard head.has(ascii: "mimetype", at: 30), head.has([0, 0], at: 8), head.count >= 30 else { return nil }
        let size = Int(head[18]) | Int(head[19]) << 8
        let nameLength = Int(head[26]) | Int(head[27]) << 8
        let extraLength = Int(head[28]) | Int(head[29]) << 8
        let start = 30 + nameLength + extraLength
        guard nameLength == 8, size > 0, size <= 100, head.count - start >= size else { return nil }
        let bytes = head[start..<start + size]
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        let mime = String(decoding: bytes, as: UTF8.self)
        return mime.hasPrefix("application/vnd.oasis.opendocument.") ? mime : nil
    }

    /// Valid UTF-8 (a UTF-8 byte order mark allowed) without control characters other than tab,
    /// line feed, form feed and carriage return. A sequence cut off by the end of a full-length
    /// head is allowed: the head is only the start of the file.
    static func isPlainText(_ head: [UInt8]) -> Bool {
        guard !head.isEmpty else { return false }
        var bytes = head[...]
        if head.has([0xEF, 0xBB, 0xBF], at: 0) { bytes = head[3...] }
        if head.count >= ContentSniffer.headLength {
            // Drop a multi-byte sequence cut off at the end of the head.
            var back = 0
            var index = bytes.endIndex
            while back < 3, index > bytes.startIndex, bytes[index - 1] & 0xC0 == 0x80 {
                index -= 1; back += 1
            }
            if index > bytes.startIndex, bytes[index - 1] >= 0xC0 {
                let lead = bytes[index - 1]
                let needed = lead >= 0xF0 ? 3 : (lead >= 0xE0 ? 2 : 1)
                if back < needed { bytes = bytes[..<(index - 1)] }
            }
        }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let v = scalar.value
                if v == 0x09 || v == 0x0A || v == 0x0C || v == 0x0D { continue }
                if v < 0x20 || v == 0x7F { return false }
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    static let officeMimeTypes: [String: String] = [
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
    ]

    static func plainDescription(ofMimeType mime: String) -> String {
        switch mime {
        case "application/pdf": return "a PDF document"
        case "image/png": return "a PNG image"
        case "image/jpeg": return "a JPEG photo"
        case "image/gif": return "a GIF image"
        case "image/webp": return "a WebP image"
        case "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence": return "a HEIC photo"
        case "image/avif": return "an AVIF image"
        case "image/x-canon-cr3": return "a camera RAW photo"
        case "audio/wav": return "a WAV sound recording"
        case "audio/mp4": return "an audio-only recording (M4A)"
        case zipMimeType: return "a ZIP archive or an Office document"
        case textMimeType: return "plain text"
        default:
            if mime.hasPrefix("application/vnd.oasis.opendocument.") { return "an OpenDocument file" }
            if mime.hasPrefix("application/vnd.openxmlformats") { return "an Office document" }
            return "a file of type \(mime)"
        }
    }
}
