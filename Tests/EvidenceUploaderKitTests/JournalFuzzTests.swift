@testable import EvidenceUploaderKit
import Testing
@testable import UploaderJournal

@Test("random payloads never crash the record decoder (seeded)")
func journalDecodeRandomBytes() {
    var generator = SeededGenerator(seed: 20_261_123)
    var decoded = 0
    for _ in 0..<200_000 {
        let count = Int.random(in: 0...48, using: &generator)
        var payload = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
        if !payload.isEmpty { payload[0] = UInt8.random(in: 0...9, using: &generator) } // mostly known types
        if let record = try? RecordCodec.decode(payload) {
            decoded += 1
            #expect(RecordCodec.encode(record) == payload) // what decodes re-encodes to the same bytes
        }
    }
    #expect(decoded > 0)
}

@Test("a discovered record with its optional destination name present but empty is refused (found by the journal fuzzer)")
func journalDecodeEmptyDestinationName() throws {
    // The fuzzer's input less its mode byte: a `discovered` record whose last field, the
    // destination name, is present with length 0, where the writer leaves it out.
    let payload: [UInt8] = [
        0x01, 0x02, 0xaf, 0x5b, 0x75, 0x70, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x44,
        0xdf, 0x1c, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
    #expect(throws: PayloadError.notCanonical) { try RecordCodec.decode(payload) }
    // The same record as the writer writes it decodes, and re-encodes to the same bytes.
    let written = RecordCodec.encode(try RecordCodec.decode(Array(payload.dropLast(4))))
    #expect(written == Array(payload.dropLast(4)))
}

@Test("mutated valid payloads never crash the decoder")
func journalDecodeMutatedPayloads() {
    var generator = SeededGenerator(seed: 42)
    let payloads = everyRecordType().map(RecordCodec.encode)
    for _ in 0..<50_000 {
        var payload = payloads.randomElement(using: &generator)!
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: payload[Int.random(in: 0..<payload.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        case 1: payload.removeLast(Int.random(in: 0...payload.count, using: &generator))
        default: payload.insert(UInt8.random(in: 0...255, using: &generator), at: Int.random(in: 0...payload.count, using: &generator))
        }
        _ = try? RecordCodec.decode(payload)
    }
}

@Test("random and mutated journal images never crash the scanner, and records it keeps are whole")
func journalScanRandomImages() {
    var generator = SeededGenerator(seed: 7)
    var valid = JournalFrame.header
    for record in everyRecordType() { valid.append(contentsOf: JournalFrame.encode(record)) }
    for round in 0..<3000 {
        var image: [UInt8]
        if round % 2 == 0 {
            image = JournalFrame.header + (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        } else {
            image = valid
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                image[Int.random(in: 12..<image.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        }
        let scan = JournalScan(image)
        #expect(scan.headerProblem == nil)
        var state = JournalState()
        for entry in scan.entries {
            #expect(entry.end <= image.count)
            state.apply(entry.record)
        }
        if let tail = scan.tailAt { #expect(tail >= scan.validEnd) }
    }
    // Lengths over 1 MiB are corruption, not allocation requests.
    var huge = JournalFrame.header + [0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]
    huge += [UInt8](repeating: 0, count: 64)
    let scan = JournalScan(huge)
    #expect(scan.entries.isEmpty)
    #expect(scan.tailAt == 12)
}
