/// What a compacted journal holds: every unfinished item as one synthesized record set, plus the
/// last `finishedTail` finished items (so "already delivered" duplicates stay recognisable).
enum JournalCompaction {
    static let defaultFinishedTail = 1000

    static func records(for state: JournalState, finishedTail: Int = defaultFinishedTail) -> [JournalRecord] {
        let sorted = state.sortedItems
        let finished = sorted.filter { $0.state.isFinished }
        let keptFinished = Set(finished.suffix(max(0, finishedTail)).map(\.id))
        var records: [JournalRecord] = []
        for item in sorted where !item.state.isFinished || keptFinished.contains(item.id) {
            records.append(contentsOf: synthesize(item))
        }
        return records
    }

    /// The shortest record set that folds back into exactly `item`.
    static func synthesize(_ item: JournalItem) -> [JournalRecord] {
        let id = item.id
        var records: [JournalRecord] = [
            .discovered(id: id, relativePath: item.relativePath, device: item.device, inode: item.inode, size: item.size,
                        mtimeNanos: item.mtimeNanos, labels: item.labels, fileType: item.fileType, endpoint: item.endpoint,
                        destinationName: item.destinationName),
        ]
        if let sha256 = item.sha256 { records.append(.hashed(id: id, sha256: sha256)) }
        if let copy = item.compressedCopy { records.append(.compressed(id: id, copy: copy)) }
        if let url = item.uploadURL { records.append(.created(id: id, uploadURL: url)) }
        if item.state == .delivered {
            records.append(.delivered(id: id))
        } else if item.confirmedOffset != 0 {
            records.append(.offset(id: id, offset: item.confirmedOffset))
        }
        switch item.state {
        case .discovered, .hashed, .created, .delivered: break
        case .moved: records.append(.moved(id: id, destination: item.destination ?? ""))
        case .rejected: records.append(.rejected(id: id, code: item.reason ?? "", destination: item.destination ?? ""))
        case .abandoned: records.append(.abandoned(id: id, reason: item.reason ?? ""))
        }
        return records
    }

    /// The whole compacted file image.
    static func image(for state: JournalState, finishedTail: Int = defaultFinishedTail) -> [UInt8] {
        var bytes = JournalFrame.header
        for record in records(for: state, finishedTail: finishedTail) {
            bytes.append(contentsOf: JournalFrame.encode(record))
        }
        return bytes
    }
}
