@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

/// A receipt names its delivery by two lines (the SHA-256 and the portal's copy): how a move
/// redone after a power cut knows the receipt already at the name is its own earlier copy.
@Suite("Notes: a receipt knows its delivery")
struct NotesReceiptTests {
    static let sha = String(repeating: "ab", count: 32)
    static let url = "http://127.0.0.1:8088/files/0f3c"

    static func receipt(sha256: String = sha, uploadURL: String = url) -> String {
        Notes.receipt(.init(
            fileName: "wall.mp4", folder: "8711-305/1234", labels: EvidenceLabels(centre: "12345", candidate: "1234", unit: "8711-305"),
            size: 1_000, fileType: "video/mp4", route: .standard, sha256: sha256, uploadURL: uploadURL, finishedAt: 0, seconds: 1))
    }

    @Test func theReceiptShowsBothLines() {
        let text = Self.receipt()
        #expect(text.contains("SHA-256:      \(Self.sha)\nPortal copy:  \(Self.url)\n"))
    }

    @Test func itsOwnReceiptIsRecognised() {
        #expect(Notes.isReceipt(Self.receipt(), sha256: Self.sha, uploadURL: Self.url))
    }

    @Test func anotherDeliveryIsNot() {
        // The same content sent again as another upload, another content, a URL that only starts the same.
        #expect(!Notes.isReceipt(Self.receipt(uploadURL: "http://127.0.0.1:8088/files/9999"), sha256: Self.sha, uploadURL: Self.url))
        #expect(!Notes.isReceipt(Self.receipt(sha256: String(repeating: "cd", count: 32)), sha256: Self.sha, uploadURL: Self.url))
        #expect(!Notes.isReceipt(Self.receipt(uploadURL: Self.url + "ab"), sha256: Self.sha, uploadURL: Self.url))
    }

    @Test func aReasonOrAnOfficersNoteIsNot() {
        let reason = Notes.reason(fileName: "wall.mp4", folder: "", rejection: Rejection(code: "unlabelled", message: "no labels"), at: 0)
        #expect(!Notes.isReceipt(reason, sha256: Self.sha, uploadURL: Self.url))
        #expect(!Notes.isReceipt("my notes\nSHA-256:      \(Self.sha)\nPortal copy:  \(Self.url)\n", sha256: Self.sha, uploadURL: Self.url))
    }
}
