/// The policy's rejections, worded for the exams officer who finds them beside the file.
extension Rejection {
    static func emptyFile() -> Rejection {
        Rejection(
            code: "empty-file",
            message: "This file is empty (0 bytes), so there is nothing to upload. "
                + "Check that the recording or copy finished, then drop the file in again.")
    }

    static func notAVideo(fileName: String, content: ContentKind) -> Rejection {
        let ext = fileNameExtension(fileName).map { ".\($0)" } ?? "a video extension"
        let looksLike: String
        switch content {
        case .unknown:
            looksLike = "its content is not recognised as any video format; it may be damaged or only partly copied"
        default:
            looksLike = "its content looks like \(content.plainDescription)"
        }
        return Rejection(
            code: "not-a-video",
            message: "The name of this file ends in \(ext.debugQuoted), but the file does not contain video: "
                + "\(looksLike). "
                + "Export the recording again from the camera or editing software as a video (for example MP4), "
                + "then drop the new file in. If this file is not meant to be a video, give it the right extension.")
    }

    package static let videoTooLargeCode = "video-too-large"

    package static func videoTooLarge(size: Int64, limit: Int64) -> Rejection {
        Rejection(
            code: videoTooLargeCode,
            message: "This video is \(ByteFormatting.human(size)), which is larger than the "
                + "\(ByteFormatting.human(limit)) limit for a video. "
                + "Make it smaller, then drop it in again: compress it (export it again at a lower quality "
                + "or bitrate), trim the parts that are not needed, record at a lower resolution such as 720p, "
                + "or split it into parts of at most \(ByteFormatting.human(limit)) each.")
    }

    static func fileTooLarge(size: Int64, limit: Int64) -> Rejection {
        Rejection(
            code: "file-too-large",
            message: "This file is \(ByteFormatting.human(size)), which is larger than the "
                + "\(ByteFormatting.human(limit)) limit for a file that is not a video. "
                + "Make it smaller, then drop it in again: save it in a more compact format "
                + "(for example reduce the quality of the images in it), or split it into parts of at most "
                + "\(ByteFormatting.human(limit)) each.")
    }
}
