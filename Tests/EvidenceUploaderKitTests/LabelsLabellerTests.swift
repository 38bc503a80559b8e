@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

let labellerManifest = try! Manifest.parse(manifestBytes("""
    file,candidate,unit
    loose.mp4,1234,8711-305
    8711-305/1234/agree.mp4,1234,8711-305
    8711-305/1234/other-candidate.mp4,1235,8711-305
    8711-305/1234/other-unit.mp4,1234,8711-306
    bad.mp4,12/34,8711-305
    spaced.mp4,1234,"8711-305 "
    A.mp4,1,U
    a.MP4,2,U
    """))

enum ExpectedLabels: Sendable, Equatable { case labels(String, String), rejected(String) }

@Test("labeller: manifest wins, conflicts and gaps are rejected, labels validated", arguments: [
    ("folders only", "{unit}/{candidate}/{file}", false, "8711-305/1234/v.mp4", ExpectedLabels.labels("1234", "8711-305")),
    ("custom layout", "{candidate}/{unit}/{file}", false, "1234/8711-305/v.mp4", .labels("1234", "8711-305")),
    ("manifest only, file at the root", "{unit}/{candidate}/{file}", true, "loose.mp4", .labels("1234", "8711-305")),
    ("manifest only, folders of another shape", "{unit}/{candidate}/{file}", true, "today/loose.mp4", .labels("1234", "8711-305")),
    ("manifest and folders agree", "{unit}/{candidate}/{file}", true, "8711-305/1234/agree.mp4", .labels("1234", "8711-305")),
    ("bare manifest name and folders agree", "{unit}/{candidate}/{file}", true, "8711-305/1234/loose.mp4", .labels("1234", "8711-305")),
    ("candidate conflict", "{unit}/{candidate}/{file}", true, "8711-305/1234/other-candidate.mp4", .rejected("label-conflict")),
    ("unit conflict", "{unit}/{candidate}/{file}", true, "8711-305/1234/other-unit.mp4", .rejected("label-conflict")),
    ("bare manifest name conflicts with folders", "{unit}/{candidate}/{file}", true, "8711-305/9999/loose.mp4", .rejected("label-conflict")),
    ("partial layout agrees with manifest", "{unit}/{file}", true, "8711-305/loose.mp4", .labels("1234", "8711-305")),
    ("ambiguous manifest", "{unit}/{candidate}/{file}", true, "x/a.mp4", .rejected("label-conflict")),
    ("nothing at the root", "{unit}/{candidate}/{file}", true, "stray.mp4", .rejected("unlabelled")),
    ("nothing, no manifest", "{unit}/{candidate}/{file}", false, "1234/stray.mp4", .rejected("unlabelled")),
    ("layout gives only the unit", "{unit}/{file}", false, "8711-305/stray.mp4", .rejected("unlabelled")),
    ("layout takes nothing from folders", "{file}", false, "stray.mp4", .rejected("unlabelled")),
    ("invalid candidate folder", "{unit}/{candidate}/{file}", false, "8711-305/1234!/v.mp4", .rejected("invalid-label")),
    ("candidate folder with a leading space", "{unit}/{candidate}/{file}", false, "8711-305/ 1234/v.mp4", .rejected("invalid-label")),
    ("candidate folder ..", "{unit}/{candidate}/{file}", false, "8711-305/../v.mp4", .rejected("invalid-label")),
    ("non-ASCII unit folder", "{unit}/{candidate}/{file}", false, "Unité 5/1234/v.mp4", .rejected("invalid-label")),
    ("65-character unit", "{unit}/{candidate}/{file}", false, String(repeating: "u", count: 65) + "/1234/v.mp4", .rejected("invalid-label")),
    ("64-character unit", "{unit}/{candidate}/{file}", false, String(repeating: "u", count: 64) + "/1234/v.mp4",
     .labels("1234", String(repeating: "u", count: 64))),
    ("allowed punctuation", "{unit}/{candidate}/{file}", false, "Unit 3.1_b/A-12.x/v.mp4", .labels("A-12.x", "Unit 3.1_b")),
    ("invalid candidate in manifest", "{unit}/{candidate}/{file}", true, "bad.mp4", .rejected("invalid-label")),
    ("quoted trailing space in manifest", "{unit}/{candidate}/{file}", true, "spaced.mp4", .rejected("invalid-label")),
])
func labeller(name: String, pattern: String, withManifest: Bool, path: String, expected: ExpectedLabels) throws {
    let labeller = Labeller(centre: "12345", layout: try LabelLayout(pattern: pattern),
                            manifest: withManifest ? labellerManifest : nil)
    let result: ExpectedLabels
    switch labeller.labels(forRelativePath: path) {
    case .success(let labels):
        #expect(labels.centre == "12345")
        result = .labels(labels.candidate, labels.unit)
    case .failure(let rejection):
        #expect(rejection.message.hasSuffix("."), "\(name): \(rejection.message)")
        result = .rejected(rejection.code)
    }
    #expect(result == expected, "\(name)")
}

@Test("labeller messages name the values and the fix", arguments: [
    ("8711-305/1234/other-candidate.mp4", "{unit}/{candidate}/{file}", ["\"1234\"", "\"1235\"", "folder", "manifest.csv"]),
    ("8711-305/1234/other-unit.mp4", "{unit}/{candidate}/{file}", ["\"8711-305\"", "\"8711-306\"", "folder", "manifest.csv"]),
    ("stray.mp4", "{unit}/{candidate}/{file}",
     ["candidate", "a folder named after the unit, then a folder named after the candidate number", "8711-305/1234/stray.mp4", "manifest.csv"]),
    ("stray.mp4", "{candidate}/{unit}/{file}", ["candidate", "1234/8711-305/stray.mp4", "manifest.csv"]),
    ("8711-305/stray.mp4", "{unit}/{file}", ["candidate number is missing", "manifest.csv"]),
    ("8711-305/12#4/v.mp4", "{unit}/{candidate}/{file}", ["\"12#4\"", "candidate number", "\"#\""]),
])
func labellerMessage(path: String, pattern: String, phrases: [String]) throws {
    let labeller = Labeller(centre: "12345", layout: try LabelLayout(pattern: pattern), manifest: labellerManifest)
    guard case .failure(let rejection) = labeller.labels(forRelativePath: path) else {
        Issue.record("\(path) was labelled"); return
    }
    for phrase in phrases {
        #expect(rejection.message.contains(phrase), "\(rejection.message.debugQuoted) lacks \(phrase.debugQuoted)")
    }
}
