/// A test seam: makes the next journal write or sync fail as a full disk or a failing disk would.
struct JournalFault {
    enum Kind { case write, sync }
    var kind: Kind
    var errno: Int32
    /// For `.write`: how many bytes of the frame reach the file before the failure.
    var bytesBeforeFailure = 0
}
