/// `journal verify` and `journal dump`: read-only views of the journal (nothing is truncated or
/// rewritten, even when damage is found).
public enum JournalTool {
    /// Records, items by state, and any damage with its byte offset. `ok` is false when the
    /// journal cannot be read or has damage or a torn tail.
    public static func verify(stateDirectory: String) -> (text: String, ok: Bool) {
        let path = JournalFile.path(in: stateDirectory)
        let bytes: [UInt8]
        do {
            bytes = try JournalFile.readOnly(directory: stateDirectory)
        } catch {
            return ("\(error)", false)
        }
        let scan = JournalScan(bytes)
        var lines = ["journal \(path.debugQuoted): \(bytes.count) bytes"]
        if let problem = scan.headerProblem {
            lines.append(headerText(problem))
            return (lines.joined(separator: "\n"), false)
        }
        lines[0] += ", format version \(JournalFrame.version)"
        var byType: [String: Int] = [:]
        for entry in scan.entries { byType[entry.record.typeName, default: 0] += 1 }
        let typeOrder = ["discovered", "hashed", "created", "offset", "delivered", "moved", "rejected", "abandoned"]
        let typeText = typeOrder.compactMap { name in byType[name].map { "\(name) \($0)" } }.joined(separator: ", ")
        lines.append("records: \(scan.entries.count)" + (typeText.isEmpty ? "" : " (\(typeText))"))
        let state = JournalState(records: scan.entries.lazy.map(\.record))
        // Only the states some item is in: a column of zeros reads like a count of something that
        // happened, and most rejections never reach the journal (below).
        let stateText = JournalItemState.allCases.compactMap { itemState -> String? in
            let count = state.count(in: itemState)
            return count > 0 ? "\(itemState.rawValue) \(count)" : nil
        }.joined(separator: ", ")
        lines.append("items: \(state.items.count)" + (stateText.isEmpty ? "" : " (\(stateText))") + "; unfinished \(state.unfinished.count)")
        lines.append("(a file rejected when it is first checked is not recorded here: its reason is beside it in rejected/)")
        for damage in scan.damage {
            lines.append("DAMAGE at byte offset \(damage.offset): \(damage.length) unreadable bytes, valid records resume at offset \(damage.offset + damage.length)")
        }
        if let tailAt = scan.tailAt {
            lines.append("TORN TAIL at byte offset \(tailAt): \(scan.tailBytes) bytes that are not a whole record (cut off when the daemon next opens the journal)")
        }
        if state.orphanRecords > 0 {
            lines.append("orphan records: \(state.orphanRecords) name an item whose discovery was lost or that had already finished")
        }
        let ok = scan.damage.isEmpty && scan.tailAt == nil
        lines.append(ok ? "journal OK" : "journal DAMAGED")
        return (lines.joined(separator: "\n"), ok)
    }

    /// One line per record (`@offset #id type fields`), control characters escaped; damage and
    /// a torn tail are shown where they are.
    public static func dump(stateDirectory: String) -> String {
        let bytes: [UInt8]
        do {
            bytes = try JournalFile.readOnly(directory: stateDirectory)
        } catch {
            return "\(error)"
        }
        let scan = JournalScan(bytes)
        if let problem = scan.headerProblem { return headerText(problem) }
        var lines = ["@0 header EVUJRNL version \(JournalFrame.version)"]
        var damage = scan.damage[...]
        for entry in scan.entries {
            while let next = damage.first, next.offset < entry.offset {
                lines.append("@\(next.offset) DAMAGE: \(next.length) unreadable bytes")
                damage = damage.dropFirst()
            }
            lines.append("@\(entry.offset) \(entry.record.dumpLine)")
        }
        if let tailAt = scan.tailAt {
            lines.append("@\(tailAt) TORN TAIL: \(scan.tailBytes) bytes")
        }
        return lines.joined(separator: "\n")
    }

    private static func headerText(_ problem: JournalScan.HeaderProblem) -> String {
        switch problem {
        case .tornHeader: "the header is incomplete (the journal was cut while being created; nothing was recorded)"
        case .badMagic: "DAMAGED: not an Evidence Uploader journal (the magic bytes are wrong)"
        case let .unsupportedVersion(v): "unsupported journal format version \(v) (this program reads \(JournalFrame.version))"
        }
    }
}
