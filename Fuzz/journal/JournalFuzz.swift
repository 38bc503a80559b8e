// libFuzzer target: the journal record decoder (RecordCodec), the frame reader (JournalFrame.attempt)
// the whole-image scan (JournalScan) and the fold into item states (JournalState) used on replay.
// The FuzzJournal target: it links UploaderJournal (and what that links), built by scripts/fuzz
// with -sanitize=fuzzer,address.
//
// The first input byte picks the mode, so the fuzzer reaches past the CRC:
//   0: the rest is one record payload: RecordCodec.decode, and what decodes must re-encode to the
//      same bytes and read back through a correctly framed journal;
//   1: the rest is a list of payloads (u8 length + bytes) that are framed correctly into a journal
//      image, then the image is torn at a fuzzer-chosen offset and scanned;
//   otherwise: the rest is a whole journal image, scanned as it is (header included).

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderJournal

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let mode = data[0]
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch mode {
    case 0:
        guard let record = try? RecordCodec.decode(rest) else {
            // A payload that does not decode makes a frame invalid, however good its CRC.
            let image = JournalFrame.header + JournalFrame.encode(payload: rest)
            let scan = JournalScan(image)
            // (A valid frame hidden inside the payload may be found by resynchronisation, never one at the first frame's offset.)
            check(scan.entries.first?.offset != JournalFrame.headerSize, "scan accepted a frame whose payload does not decode")
            return 0
        }
        check(RecordCodec.encode(record) == rest, "decode/encode round trip changed the payload bytes")
        let frame = JournalFrame.encode(record)
        let attempt = frame.withUnsafeBytes { JournalFrame.attempt($0, at: 0) }
        guard case let .valid(again, end) = attempt, again == record, end == frame.count else {
            fail("a freshly framed record did not read back")
        }
        let scan = JournalScan(JournalFrame.header + frame + frame)
        check(scan.headerProblem == nil && scan.entries.count == 2 && scan.damage.isEmpty && scan.tailAt == nil,
                     "a clean two-record journal did not scan clean")
    case 1:
        var image = JournalFrame.header
        var frameEnds: [Int] = []
        var records: [JournalRecord?] = []
        var i = 0
        while i < rest.count {
            let length = min(Int(rest[i]), rest.count - i - 1)
            let payload = Array(rest[(i + 1)..<(i + 1 + length)])
            image += JournalFrame.encode(payload: payload)
            frameEnds.append(image.count)
            records.append(try? RecordCodec.decode(payload))
            i += 1 + length
        }
        let full = JournalScan(image)
        check(full.headerProblem == nil, "a written header was refused")
        checkOrdered(full, within: image.count)
        fold(full)
        // Every frame well written and every payload a record: exactly those records, no damage.
        // (An undecodable payload may hide valid frames that resynchronisation then finds: allowed.)
        if records.allSatisfy({ $0 != nil }) {
            check(full.entries.map(\.record) == records.map { $0! } && full.damage.isEmpty && full.tailAt == nil,
                  "a journal of good frames did not scan as exactly its records")
            // Torn at a chosen offset (the last input byte picks it): the whole frames before the
            // cut come back first, in order (resynchronising into the torn frame may add more).
            let cut = JournalFrame.headerSize + Int(rest.last ?? 255) * (image.count - JournalFrame.headerSize) / 255
            let torn = JournalScan(Array(image.prefix(cut)))
            let whole = frameEnds.filter { $0 <= cut }.count
            checkOrdered(torn, within: cut)
            check(torn.entries.count >= whole && torn.entries.prefix(whole).map(\.record) == full.entries.prefix(whole).map(\.record),
                  "a torn journal lost or changed whole records before the cut")
            check(torn.validEnd >= (whole == 0 ? JournalFrame.headerSize : frameEnds[whole - 1]), "validEnd before the last whole frame")
        }
    default:
        let scan = JournalScan(rest)
        checkOrdered(scan, within: rest.count)
        fold(scan)
        for position in stride(from: 0, to: min(rest.count, 64), by: 1) {
            _ = rest.withUnsafeBytes { JournalFrame.attempt($0, at: position) }
        }
    }
    return 0
}

/// `precondition` drops its message in optimised builds; this one prints it first.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func fail(_ message: String) -> Never {
    print("fuzz invariant failed: \(message)")
    fatalError(message)
}

/// Replay's fold of the scanned records into item states (JournalState): never traps; every item
/// is counted in exactly one state.
func fold(_ scan: JournalScan) {
    let state = JournalState(records: scan.entries.map(\.record))
    let counted = JournalItemState.allCases.reduce(0) { $0 + state.count(in: $1) }
    check(counted == state.items.count, "items not in exactly one state")
    check(state.unfinished.allSatisfy { !$0.state.isFinished }, "a finished item listed as unfinished")
    for entry in scan.entries.prefix(16) { _ = state.accepts(entry.record) }
}

/// Entries in order, not overlapping, inside the image; the tail (if any) after the last entry.
func checkOrdered(_ scan: JournalScan, within count: Int) {
    var last = JournalFrame.headerSize
    for entry in scan.entries {
        check(entry.offset >= last && entry.offset < entry.end && entry.end <= count,
              "entry \(entry.offset)..<\(entry.end) overlaps or runs past \(count)")
        last = entry.end
    }
    if let tail = scan.tailAt { check(tail >= last && tail <= count, "tail at \(tail) outside \(last)...\(count)") }
    check(scan.tailBytes >= 0 && scan.validEnd <= max(count, JournalFrame.headerSize), "validEnd/tailBytes out of range")
}
#endif
