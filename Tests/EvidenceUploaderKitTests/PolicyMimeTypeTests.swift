@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("MIME type from the bytes, refined by the name", arguments: [
    (ContentKind.video(.mp4), "clip.mp4", "video/mp4"),
    (.video(.mp4), "clip.bin", "video/mp4"),
    (.video(.quicktime), "IMG_0001.MOV", "video/quicktime"),
    (.video(.threeGPP), "phone.3gp", "video/3gpp"),
    (.video(.avi), "old.avi", "video/x-msvideo"),
    (.video(.matroska), "obs.mkv", "video/x-matroska"),
    (.video(.webm), "screen.webm", "video/webm"),
    (.video(.asf), "lesson.wmv", "video/x-ms-wmv"),
    (.video(.asf), "lesson.WMV", "video/x-ms-wmv"),
    (.video(.asf), "lesson.asf", "video/x-ms-asf"),
    (.video(.mpegTS), "00001.MTS", "video/mp2t"),
    (.video(.mpegPS), "VTS_01_1.VOB", "video/mpeg"),
    (.document(mimeType: "application/pdf"), "plan.pdf", "application/pdf"),
    (.document(mimeType: "application/zip"), "log.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (.document(mimeType: "application/zip"), "marks.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (.document(mimeType: "application/zip"), "slides.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (.document(mimeType: "application/zip"), "photos.zip", "application/zip"),
    (.document(mimeType: "application/zip"), "no-extension", "application/zip"),
    (.document(mimeType: "text/plain"), "notes.txt", "text/plain"),
    (.unknown, "mystery.bin", "application/octet-stream"),
])
func mimeType(kind: ContentKind, fileName: String, expected: String) {
    #expect(ContentSniffer.mimeType(of: kind, fileName: fileName) == expected)
}

@Test("extensions that claim video", arguments: [
    ("a.mp4", true), ("a.M4V", true), ("a.mov", true), ("a.qt", true), ("a.3gp", true), ("a.3g2", true),
    ("a.avi", true), ("a.mkv", true), ("a.webm", true), ("a.wmv", true), ("a.asf", true), ("a.ts", true),
    ("a.mts", true), ("a.m2ts", true), ("a.MPG", true), ("a.mpeg", true), ("a.vob", true),
    ("8711-305/1234/clip.Mp4", true), ("a.pdf", false), ("a.mp4.txt", false), ("mp4", false),
    (".mp4", false), ("a.", false), ("", false), ("a.mp3", false), ("dir.mp4/notes", false),
])
func claimsVideo(fileName: String, expected: Bool) {
    #expect(ContentSniffer.extensionClaimsVideo(fileName) == expected)
}
