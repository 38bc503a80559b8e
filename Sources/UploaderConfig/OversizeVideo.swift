/// `[policy] oversize_video`: what happens to a video over `max_video_size`.
package enum OversizeVideo: String, Sendable, CaseIterable {
    /// Rejected with its size and what to do (the default).
    case reject
    /// Compressed with ffmpeg to fit (`[compress]`); the original is kept.
    case compress
}
