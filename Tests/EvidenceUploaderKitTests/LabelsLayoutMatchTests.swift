@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("layouts match paths of their shape only", arguments: [
    ("{unit}/{candidate}/{file}", "8711-305/1234/video.mp4", "8711-305" as String?, "1234" as String?, true),
    ("{unit}/{candidate}/{file}", "./8711-305//1234/video.mp4", "8711-305", "1234", true),
    ("{unit}/{candidate}/{file}", "1234/video.mp4", nil, nil, false),
    ("{unit}/{candidate}/{file}", "video.mp4", nil, nil, false),
    ("{unit}/{candidate}/{file}", "8711-305/1234/day 2/video.mp4", nil, nil, false),
    ("{unit}/{candidate}/{file}", "", nil, nil, false),
    ("{candidate}/{unit}/{file}", "1234/8711-305/video.mp4", "8711-305", "1234", true),
    ("evidence/{unit}/{candidate}/{file}", "evidence/8711-305/1234/video.mp4", "8711-305", "1234", true),
    ("evidence/{unit}/{candidate}/{file}", "Evidence/8711-305/1234/video.mp4", "8711-305", "1234", true),
    ("evidence/{unit}/{candidate}/{file}", "photos/8711-305/1234/video.mp4", nil, nil, false),
    ("{unit}/videos/{candidate}/{file}", "8711-305/videos/1234/video.mp4", "8711-305", "1234", true),
    ("{unit}/{file}", "8711-305/video.mp4", "8711-305", nil, true),
    ("{candidate}/{file}", "1234/video.mp4", nil, "1234", true),
    ("{file}", "video.mp4", nil, nil, true),
    ("{file}", "8711-305/video.mp4", nil, nil, false),
])
func layoutMatch(pattern: String, path: String, unit: String?, candidate: String?, matches: Bool) throws {
    let layout = try LabelLayout(pattern: pattern)
    let result = layout.match(relativePath: path)
    #expect((result != nil) == matches, "\(pattern) ~ \(path)")
    #expect(result?.unit == unit)
    #expect(result?.candidate == candidate)
}
