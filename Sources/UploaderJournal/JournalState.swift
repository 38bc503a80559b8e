import UploaderCore

/// Items folded from records, in order. Pure: no I/O.
struct JournalState {
    var items: [UInt64: JournalItem] = [:]
    /// The id the next `.discovered` record gets.
    var nextID: UInt64 = 1
    /// Records that name an item never discovered (lost to damage) or arrive after it finished.
    var orphanRecords = 0
    var orphanUploadURLs: [String] = []

    init() {}

    init(records: some Sequence<JournalRecord>) {
        for record in records { apply(record) }
    }

    /// Whether a record for `id` may be appended now.
    func accepts(_ record: JournalRecord) -> Bool {
        if case .discovered = record { return true }
        guard let item = items[record.id] else { return false }
        return !item.state.isFinished
    }

    mutating func apply(_ record: JournalRecord) {
        if case let .discovered(id, path, device, inode, size, mtime, labels, fileType, endpoint, destinationName) = record {
            items[id] = JournalItem(id: id, relativePath: path, device: device, inode: inode, size: size,
                                    mtimeNanos: mtime, labels: labels, fileType: fileType, endpoint: endpoint,
                                    sha256: nil, uploadURL: nil, confirmedOffset: 0, state: .discovered,
                                    destination: nil, reason: nil, destinationName: destinationName)
            if id >= nextID { nextID = id &+ 1 }
            return
        }
        guard var item = items[record.id], !item.state.isFinished else {
            orphanRecords += 1
            if items[record.id] == nil, case let .created(_, url) = record { orphanUploadURLs.append(url) }
            return
        }
        switch record {
        case .discovered: break
        case let .hashed(_, sha256):
            item.sha256 = sha256
            if item.state == .discovered { item.state = .hashed }
        case let .created(_, url):
            // A new upload (the old one expired or the file changed) starts from zero.
            item.uploadURL = url
            item.confirmedOffset = 0
            item.state = .created
        case let .offset(_, offset):
            item.confirmedOffset = offset
        case .delivered:
            item.confirmedOffset = item.size
            item.state = .delivered
        case let .moved(_, destination):
            item.destination = destination
            item.state = .moved
        case let .rejected(_, code, destination):
            item.reason = code
            item.destination = destination
            item.state = .rejected
        case let .abandoned(_, reason):
            item.reason = reason
            item.state = .abandoned
        case .compressionStarted:
            item.compressedCopy = nil
        case let .compressed(_, copy):
            item.compressedCopy = copy
        }
        items[item.id] = item
    }

    /// The latest unfinished item for a relative path.
    func unfinishedItem(forRelativePath relativePath: String) -> JournalItem? {
        items.values.lazy.filter { $0.relativePath == relativePath && !$0.state.isFinished }.max { $0.id < $1.id }
    }

    /// The latest moved item with this content and these labels: the same evidence already delivered.
    func finishedItem(sha256: String, labels: EvidenceLabels) -> JournalItem? {
        items.values.lazy.filter { $0.state == .moved && $0.sha256 == sha256 && $0.labels == labels }.max { $0.id < $1.id }
    }

    var sortedItems: [JournalItem] { items.keys.sorted().map { items[$0]! } }
    /// The ids are sorted, not the items: with 10,000 items queued (asked for at every inotify
    /// hint) this costs one array of the result instead of three of every item.
    var unfinished: [JournalItem] {
        items.lazy.filter { !$0.value.state.isFinished }.map(\.key).sorted().map { items[$0]! }
    }

    func count(in state: JournalItemState) -> Int { items.values.lazy.filter { $0.state == state }.count }
}
