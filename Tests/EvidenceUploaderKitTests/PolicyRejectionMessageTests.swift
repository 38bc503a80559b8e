@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

func policyRejection(_ fileName: String, _ size: Int64, _ head: [UInt8]) -> Rejection? {
    if case .reject(let rejection) = awardingBodyPolicy.decide(fileName: fileName, size: size, head: head) {
        return rejection
    }
    return nil
}

@Test("rejection messages say what is wrong and what to do", arguments: [
    ("empty", "clip.mp4", Int64(0), [UInt8](), ["empty", "0 bytes", "drop the file in again"]),
    ("disguised PDF", "clip.mp4", 5_000, SampleHead.pdf, ["does not contain video", "\".mp4\"", "PDF document", "Export the recording again"]),
    ("unrecognised", "IMG_1.MOV", 5_000, SampleHead.random(count: 64, seed: 1), ["does not contain video", "\".MOV\"", "not recognised", "camera or editing software"]),
    ("video too large", "clip.mp4", 2_610_000_000, SampleHead.ftyp("isom"), ["larger than", "2.61 GB", "2.50 GB", "compress", "trim", "720p", "split it into parts"]),
    ("file too large", "plan.pdf", 612_000_000, SampleHead.pdf, ["larger than", "612 MB", "500 MB", "split it into parts"]),
])
func rejectionMessage(name: String, fileName: String, size: Int64, head: [UInt8], phrases: [String]) throws {
    let found = try #require(policyRejection(fileName, size, head), "\(name) was not rejected")
    for phrase in phrases {
        #expect(found.message.contains(phrase), "\(name): \(found.message.debugQuoted) lacks \(phrase.debugQuoted)")
    }
    #expect(found.message.hasSuffix("."), "\(name): a message is complete sentences")
}
