@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

/// The awarding body's limits: 2.5 GB per video, standard upload up to 150 MB; other files 500 MB
/// here, so that video and non-video limits can be told apart.
let awardingBodyPolicy = UploadPolicy(
    maxVideoSize: 2_500_000_000, standardUploadLimit: 150_000_000, maxFileSize: 500_000_000)

enum ExpectedDecision: Sendable, CustomStringConvertible {
    case accept(UploadRoute, ContentKind, String)
    case reject(String)

    var description: String {
        switch self {
        case .accept(let route, let kind, let type): "accept \(route) \(kind) \(type)"
        case .reject(let code): "reject \(code)"
        }
    }
}

@Test("decide: limits are inclusive, bytes decide what a file is", arguments: [
    ("mp4 at the standard limit", "clip.mp4", Int64(150_000_000), SampleHead.ftyp("isom"),
     ExpectedDecision.accept(.standard, .video(.mp4), "video/mp4")),
    ("mp4 one byte over the standard limit", "clip.mp4", 150_000_001, SampleHead.ftyp("isom"),
     .accept(.largeFile, .video(.mp4), "video/mp4")),
    ("mp4 at the video limit", "clip.mp4", 2_500_000_000, SampleHead.ftyp("mp42"),
     .accept(.largeFile, .video(.mp4), "video/mp4")),
    ("mp4 one byte over the video limit", "clip.mp4", 2_500_000_001, SampleHead.ftyp("mp42"), .reject("video-too-large")),
    ("one-byte video", "clip.mov", 1, SampleHead.ftyp("qt  "), .accept(.standard, .video(.quicktime), "video/quicktime")),
    ("empty mp4", "clip.mp4", 0, [], .reject("empty-file")),
    ("empty text file", "notes.txt", 0, [], .reject("empty-file")),
    ("PDF disguised as .mp4", "clip.mp4", 40_000, SampleHead.pdf, .reject("not-a-video")),
    ("random bytes named .MOV", "IMG_0001.MOV", 40_000, SampleHead.random(count: 1024, seed: 7), .reject("not-a-video")),
    ("WAV named .avi", "lesson.avi", 40_000, SampleHead.riff("WAVE"), .reject("not-a-video")),
    ("video named .bin is a video", "export.bin", 1_000_000_000, SampleHead.ftyp("isom"),
     .accept(.largeFile, .video(.mp4), "video/mp4")),
    ("video over the file limit but under the video limit", "export.bin", 600_000_000, SampleHead.ebml(docType: "webm"),
     .accept(.largeFile, .video(.webm), "video/webm")),
    ("Matroska named .mp4 is accepted as Matroska", "clip.mp4", 1_000, SampleHead.ebml(docType: "matroska"),
     .accept(.standard, .video(.matroska), "video/x-matroska")),
    ("PDF at the file limit", "plan.pdf", 500_000_000, SampleHead.pdf,
     .accept(.largeFile, .document(mimeType: "application/pdf"), "application/pdf")),
    ("PDF one byte over the file limit", "plan.pdf", 500_000_001, SampleHead.pdf, .reject("file-too-large")),
    ("unknown bytes over the file limit", "data.bin", 600_000_000, SampleHead.random(count: 1024, seed: 3), .reject("file-too-large")),
    ("unknown bytes, small", "data.bin", 10, SampleHead.random(count: 10, seed: 3),
     .accept(.standard, .unknown, "application/octet-stream")),
    ("docx", "log.docx", 20_000, SampleHead.ooxml,
     .accept(.standard, .document(mimeType: "application/zip"),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")),
    ("WMV", "lesson.wmv", 200_000_000, SampleHead.asf, .accept(.largeFile, .video(.asf), "video/x-ms-wmv")),
    ("camcorder MTS", "00001.MTS", 100_000_000, SampleHead.transportStream(packets: 5, packetSize: 192, prefix: 4),
     .accept(.standard, .video(.mpegTS), "video/mp2t")),
])
func decide(name: String, fileName: String, size: Int64, head: [UInt8], expected: ExpectedDecision) {
    let decision = awardingBodyPolicy.decide(fileName: fileName, size: size, head: head)
    switch (decision, expected) {
    case (.accept(let route, let kind, let fileType), .accept(let wantRoute, let wantKind, let wantType)):
        #expect(route == wantRoute, "\(name)")
        #expect(kind == wantKind, "\(name)")
        #expect(fileType == wantType, "\(name)")
    case (.reject(let rejection), .reject(let code)):
        #expect(rejection.code == code, "\(name): \(rejection.message)")
    default:
        Issue.record("\(name): got \(decision), expected \(expected)")
    }
}
