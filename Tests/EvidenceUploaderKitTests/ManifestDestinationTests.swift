@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Suite("Manifest in the drop root with a destination column")
struct ManifestDestinationTests {
    let names: Set<String> = ["cityandguilds", "ocr"]

    func parse(_ text: String) throws(EvidenceError) -> Manifest {
        try Manifest.parse(Array(text.utf8), destinations: names)
    }

    @Test func eachLineGoesToItsDestination() throws {
        let root = try parse("file,candidate,unit,destination\nwall.mp4,1,U1,cityandguilds\nwall.mp4,2,U2,ocr\nx/a.mp4,3,U3,ocr\n")
        let cg = root.entries(for: "cityandguilds"), ocr = root.entries(for: "ocr")
        #expect(try cg.lookup(relativePath: "8711/1/wall.mp4").get()?.candidate == "1")
        // The same bare name for two destinations is not a conflict.
        #expect(try ocr.lookup(relativePath: "any/wall.mp4").get()?.candidate == "2")
        #expect(try ocr.lookup(relativePath: "x/a.mp4").get()?.unit == "U3")
        #expect(try cg.lookup(relativePath: "x/a.mp4").get() == nil)
    }

    @Test func theColumnIsRequiredInTheRoot() {
        #expect(throws: EvidenceError.self) { try parse("file,candidate,unit\nwall.mp4,1,U1\n") }
        do { _ = try parse("file,candidate,unit\nwall.mp4,1,U1\n") } catch {
            #expect(error.message.contains("no \"destination\" column"))
        }
    }

    @Test func anUnknownOrEmptyDestinationNamesTheLine() {
        do {
            _ = try parse("file,candidate,unit,destination\nwall.mp4,1,U1,ocr\nb.mp4,1,U1,pearson\n")
            Issue.record("an unknown destination must be refused")
        } catch {
            #expect(error.message.contains("line 3"))
            #expect(error.message.contains("\"pearson\""))
            #expect(error.message.contains("cityandguilds, ocr"))
        }
        #expect(throws: EvidenceError.self) { try parse("file,candidate,unit,destination\nwall.mp4,1,U1,\n") }
    }

    @Test func outsideTheRootTheColumnIsIgnored() throws {
        let manifest = try Manifest.parse(Array("file,candidate,unit,destination\nwall.mp4,1,U1,nowhere\n".utf8))
        #expect(try manifest.lookup(relativePath: "wall.mp4").get()?.candidate == "1")
    }

    @Test func aDestinationsOwnManifestAndItsRootLinesAreOne() throws {
        let own = try Manifest.parse(Array("file,candidate,unit\na.mp4,1,U1\n".utf8))
        let root = try parse("file,candidate,unit,destination\nb.mp4,2,U2,ocr\na.mp4,1,U1,ocr\n").entries(for: "ocr")
        let merged = try own.merged(with: root, otherName: "manifest.csv")
        #expect(merged.count == 2)
        #expect(try merged.lookup(relativePath: "b.mp4").get()?.candidate == "2")
        let clash = try parse("file,candidate,unit,destination\na.mp4,9,U9,ocr\n").entries(for: "ocr")
        do {
            _ = try own.merged(with: clash, otherName: "manifest.csv")
            Issue.record("different labels for one file must be refused")
        } catch {
            #expect(error.message.contains("manifest.csv line 2"))
            #expect(error.message.contains("own manifest (line 2)"))
        }
    }
}
