/// What opening the journal found.
public struct ReplayReport: Sendable, Equatable {
    /// Valid records read (after resynchronising past any damage).
    public var recordsRead: Int = 0
    /// Bytes of a torn or garbage tail cut off, and the offset cut at.
    public var truncatedBytes: Int64 = 0
    public var truncatedAt: Int64?
    /// Offset of the first damaged frame in the middle of the journal, if any.
    public var corruptionAt: Int64?
    /// Where a copy of the damaged journal was kept.
    public var corruptCopyPath: String?
    /// Records naming an item whose `.discovered` record was never read (lost to damage).
    public var orphanRecords: Int = 0
    /// Upload URLs from `.created` records of lost items: known to the server, unknown here.
    public var orphanUploadURLs: [String] = []

    public init() {}

    /// One line for the log; loud when something was wrong.
    public var summary: String {
        var parts = ["journal replayed \(recordsRead) records"]
        if let truncatedAt { parts.append("cut a torn tail of \(truncatedBytes) bytes at offset \(truncatedAt)") }
        if let corruptionAt {
            parts.append("JOURNAL DAMAGED at byte offset \(corruptionAt); a copy is kept at \((corruptCopyPath ?? "?").debugQuoted); every readable record was kept, check unfinished uploads against the server")
        }
        if orphanRecords > 0 { parts.append("\(orphanRecords) records name items that were lost (\(orphanUploadURLs.count) upload URLs to check on the server)") }
        return parts.joined(separator: "; ")
    }
}
