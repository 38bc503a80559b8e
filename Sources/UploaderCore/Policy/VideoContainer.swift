/// The video container formats recognised by their bytes. The raw value is the short name used in
/// logs and status output.
package enum VideoContainer: String, Sendable, CaseIterable {
    case mp4
    case quicktime
    case threeGPP = "3gpp"
    case avi
    case matroska
    case webm
    case asf
    case mpegTS = "mpeg-ts"
    case mpegPS = "mpeg-ps"
}
