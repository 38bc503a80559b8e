@testable import EvidenceUploaderKit
import Testing
@testable import UploaderSystem

@Test("FolderMover.numbered", arguments: [
    ("clip.mp4", 2, "clip (2).mp4"),
    ("clip.mp4", 10, "clip (10).mp4"),
    ("archive.tar.gz", 2, "archive.tar (2).gz"),
    ("README", 3, "README (3)"),
    (".bashrc", 2, ".bashrc (2)"),
    (".env.local", 2, ".env (2).local"),
    ("trailing.", 2, "trailing (2)."),
    ("Élodie clip.MOV", 4, "Élodie clip (4).MOV"),
])
func folderMoverNumbered(_ name: String, _ n: Int, _ expected: String) {
    #expect(FolderMover.numbered(name, n) == expected)
}
