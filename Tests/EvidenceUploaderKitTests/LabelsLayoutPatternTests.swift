@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("invalid layouts are refused with the reason", arguments: [
    ("", "empty"),
    ("   ", "empty"),
    ("{unit}/{candidate}", "{file} must be the last part"),
    ("{file}/{unit}", "{file} must be the last part"),
    ("{file}/{file}", "{file} appears more than once"),
    ("{unit}/{unit}/{file}", "{unit} appears more than once"),
    ("{candidate}/x/{candidate}/{file}", "{candidate} appears more than once"),
    ("{unit}//{file}", "empty folder name"),
    ("{unit}/{candidate}/{file}/", "empty folder name"),
    ("/{unit}/{candidate}/{file}", "relative to the drop folder"),
    ("unit-{unit}/{file}", "\"unit-{unit}\" is not a placeholder"),
    ("{learner}/{file}", "\"{learner}\" is not a placeholder"),
    ("../{unit}/{file}", "\"..\" cannot be a folder name"),
])
func invalidLayout(pattern: String, reason: String) {
    #expect {
        _ = try LabelLayout(pattern: pattern)
    } throws: { error in
        guard let error = error as? EvidenceError else { return false }
        return error.code == .config && error.message.contains(reason) && error.message.contains("labels.layout")
    }
}

@Test("valid layouts", arguments: [
    "{unit}/{candidate}/{file}", "{candidate}/{unit}/{file}", "{file}", "{unit}/{file}",
    "evidence/{unit}/{candidate}/{file}", " {unit}/{candidate}/{file} ",
])
func validLayout(pattern: String) throws {
    _ = try LabelLayout(pattern: pattern)
}
