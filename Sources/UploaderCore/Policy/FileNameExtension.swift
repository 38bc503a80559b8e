/// The extension of the last path component, without the dot, as written ("MP4"), or nil.
/// A leading dot alone (".mp4", a hidden file) is not an extension.
func fileNameExtension(_ fileName: String) -> Substring? {
    let name = fileName.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(fileName)
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
    let ext = name[name.index(after: dot)...]
    return ext.isEmpty ? nil : ext
}
