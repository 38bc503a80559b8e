/// Which portal upload a file takes: the standard one up to the standard limit, the chunked,
/// resumable large-file upload above it.
package enum UploadRoute: String, Sendable {
    case standard
    case largeFile = "large-file"
}
