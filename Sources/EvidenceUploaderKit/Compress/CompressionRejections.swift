import UploaderCore

/// Compression's rejections, worded for the exams officer who finds them beside the file.
extension Rejection {
    /// Too long to fit under the limit even at 360p: split it, into parts of a computed length.
    static func videoTooLong(size: Int64, limit: Int64, facts: VideoFacts, maxMinutes: Int) -> Rejection {
        Rejection(
            code: "video-too-long",
            message: "This video is \(ByteFormatting.human(size)) and lasts \(Notes.durationWords(facts.durationSeconds)), "
                + "which is too long to fit under the \(ByteFormatting.human(limit)) limit even when compressed to 360p "
                + "(below that a moderator could not see the work). Split the recording into parts under "
                + "\(maxMinutes) minutes each (any video editor or the camera's own software can do this), "
                + "then drop the parts in again; each part will be compressed to fit.")
    }

    /// ffprobe or ffmpeg could not read it as a video: damaged, cut short, or not really a video.
    static func videoUnreadable(_ detail: String) -> Rejection {
        let shown = detail.count > 300 ? String(detail.prefix(300)) + "..." : detail
        return Rejection(
            code: "video-unreadable",
            message: "This video is over the size limit, so it would be compressed, but it could not be read as a video "
                + "(\(shown)). It may be damaged or only partly copied. Check that it plays on a computer; "
                + "if it does not, copy it from the camera again or export it again from the editing software, "
                + "then drop the new file in.")
    }
}
