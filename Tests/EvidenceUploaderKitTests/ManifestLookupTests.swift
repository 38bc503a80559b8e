@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

let lookupManifest = try! Manifest.parse(manifestBytes("""
    file,candidate,unit
    8711-305/1234/video.mp4,1234,8711-305
    video.mp4,9999,8711-999
    notes.txt,1234,8711-305
    Plan.pdf,1111,U1
    plan.PDF,2222,U2
    same.mov,1,U
    SAME.MOV,1,U
    8711-305/1234/Case.mp4,1234,8711-305
    8711-305/1234/case.MP4,5678,8711-305
    """))

enum ExpectedLookup: Sendable, Equatable { case labels(String, String), none, conflict }

@Test("lookup: exact path, then bare name; ambiguity is a conflict", arguments: [
    ("exact path entry wins over the bare name", "8711-305/1234/video.mp4", ExpectedLookup.labels("1234", "8711-305")),
    ("exact path, written with ./", "./8711-305/1234/video.mp4", .labels("1234", "8711-305")),
    ("bare name matches in any folder", "8711-305/5555/video.mp4", .labels("9999", "8711-999")),
    ("bare name at the root", "notes.txt", .labels("1234", "8711-305")),
    ("bare name, other case", "x/NOTES.TXT", .labels("1234", "8711-305")),
    ("not listed", "8711-305/1234/other.mp4", .none),
    ("bare name exact case wins", "x/Plan.pdf", .labels("1111", "U1")),
    ("two bare names could match with different labels", "x/PLAN.pdf", .conflict),
    ("two bare names could match with the same labels", "x/Same.mov", .labels("1", "U")),
    ("exact path among case variants", "8711-305/1234/Case.mp4", .labels("1234", "8711-305")),
    ("two paths could match with different labels", "8711-305/1234/CASE.mp4", .conflict),
    ("a path that names a folder only", "", .none),
])
func lookup(name: String, path: String, expected: ExpectedLookup) {
    let result: ExpectedLookup
    switch lookupManifest.lookup(relativePath: path) {
    case .success(let found?): result = .labels(found.candidate, found.unit)
    case .success(nil): result = .none
    case .failure(let rejection):
        #expect(rejection.code == "label-conflict")
        #expect(rejection.message.contains("manifest.csv"))
        result = .conflict
    }
    #expect(result == expected, "\(name)")
}
