/// The components of a path relative to the drop root: empty and "." components dropped, so
/// "./8711-305//1234/a.mp4" and "8711-305/1234/a.mp4" are the same path.
func relativePathComponents(_ path: String) -> [Substring] {
    path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
}
