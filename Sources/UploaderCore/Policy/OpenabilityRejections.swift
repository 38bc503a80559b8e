/// The openability rejections, worded for the exams officer who finds them beside the file.
extension Rejection {
    static func encrypted(_ format: EncryptedFormat, fileName: String) -> Rejection {
        let what: String
        let howToFix: String
        switch format {
        case .zip:
            what = "This ZIP"
            howToFix = "Save it again without a password and drop it in again."
        case .sevenZip:
            what = "This 7z archive"
            howToFix = "Make the archive again without a password (or make a ZIP without a password instead) and drop it in again."
        case .rar:
            what = "This RAR archive"
            howToFix = "Make the archive again without a password (or make a ZIP without a password instead) and drop it in again."
        case .pdf:
            what = "This PDF"
            howToFix = "Save or export it again without a password or security restrictions "
                + "(for example print it to a new PDF) and drop it in again."
        case .office:
            what = "This " + officeDocumentName(fileName)
            howToFix = "Open it, remove the password (in Microsoft Office: File, Info, Protect, "
                + "Encrypt with Password, then clear the password), save it and drop it in again."
        }
        return Rejection(
            code: "encrypted",
            message: "\(what) is password-protected: the moderator cannot open it. \(howToFix)")
    }

    static func unplayableVideo(_ container: VideoContainer, _ damage: VideoDamage) -> Rejection {
        let detail: String
        switch damage {
        case .missingIndex: detail = "its index (the 'moov' part that players need) was never written"
        case .missingMediaData: detail = "it holds no recorded pictures or sound (no 'mdat' part)"
        case .cutShort(let part): detail = "its '\(part)' part runs past the end of the file"
        case .brokenStructure: detail = "its structure is damaged"
        case .missingSegment: detail = "it has a header but no recording after it"
        }
        return Rejection(
            code: "unplayable-video",
            message: "This video is incomplete (the recording or the copy stopped before it finished): it will not play. "
                + "Copy it again from the camera or the original recording. "
                + "(For IT: \(ContentKind.video(container).plainDescription) in which \(detail).)")
    }

    private static func officeDocumentName(_ fileName: String) -> String {
        switch fileNameExtension(fileName)?.lowercased() {
        case "docx", "doc", "docm", "dotx", "dot": return "Word document"
        case "xlsx", "xls", "xlsm", "xltx", "xlsb": return "Excel workbook"
        case "pptx", "ppt", "pptm", "ppsx", "pps": return "PowerPoint presentation"
        default: return "Office document"
        }
    }
}
