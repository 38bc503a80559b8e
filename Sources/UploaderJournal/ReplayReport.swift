/// What opening the journal found.
package struct ReplayReport: Sendable, Equatable {
    /// Valid records read (after resynchronising past any damage).
    package var recordsRead: Int = 0
    /// Bytes of a torn or garbage tail cut off, and the offset cut at.
    package var truncatedBytes: Int64 = 0
    package var truncatedAt: Int64?
    /// Offset of the first damaged frame in the middle of the journal, if any.
    package var corruptionAt: Int64?
    /// Where a copy of the damaged journal was kept.
    package var corruptCopyPath: String?
    /// Records naming an item whose `.discovered` record was never read (lost to damage).
    var orphanRecords: Int = 0
    /// Upload URLs from `.created` records of lost items: known to the server, unknown here.
    package var orphanUploadURLs: [String] = []

    init() {}

    /// One line for the log; loud when something was wrong.
    var summary: String {
        var parts = ["journal replayed \(recordsRead) records"]
        if let truncatedAt { parts.append("cut a torn tail of \(truncatedBytes) bytes at offset \(truncatedAt)") }
        if let corruptionAt {
            parts.append("JOURNAL DAMAGED at byte offset \(corruptionAt); a copy is kept at \((corruptCopyPath ?? "?").debugQuoted); every readable record was kept, check unfinished uploads against the server")
        }
        if orphanRecords > 0 { parts.append("\(orphanRecords) records name items that were lost (\(orphanUploadURLs.count) upload URLs to check on the server)") }
        return parts.joined(separator: "; ")
    }
}
