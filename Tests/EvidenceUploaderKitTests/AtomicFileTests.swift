import Testing
@testable import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Replace-by-rename when something fails on the way: the old contents stay whole and no
/// temporary file is left beside them.
@Suite("AtomicFile failures")
struct AtomicFileTests {
    let folder: String

    init() {
        var template = Array("/tmp/evu-atomic-XXXXXX".utf8CString)
        folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Names in the folder, sorted.
    func names() -> [String] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test("a streamed write that fails part-way (disk full) leaves the old file whole and no temporary file")
    func failsPartWay() throws {
        let path = folder + "/status.json"
        try AtomicFile.write(Array("old contents".utf8), to: path, mode: 0o644)
        #expect(throws: SystemCallError.self) {
            try AtomicFile.write(to: path, mode: 0o644, durability: .volatile) { (writer: AtomicFile.Writer) throws(SystemCallError) in
                try writer.write(Array("{\"items\": [".utf8))
                throw SystemCallError(operation: "write", path: path, errno: ENOSPC)
            }
        }
        #expect(try AtomicFile.read(path) == "old contents")
        #expect(names() == ["status.json"])
    }

    @Test("a rename that fails (a folder is in the way) leaves no temporary file and says which path")
    func renameFails() throws {
        let path = folder + "/receipt.txt"
        #expect(mkdir(path, 0o700) == 0)
        #expect(mkdir(path + "/inside", 0o700) == 0)  // a folder that is not empty cannot be replaced
        var failure: SystemCallError? = nil
        do {
            try AtomicFile.write(Array("receipt".utf8), to: path, mode: 0o644)
        } catch {
            failure = error
        }
        #expect(failure?.operation == "rename" && failure?.path == path)
        #expect(names() == ["receipt.txt"])
    }

    @Test("the folder of a path")
    func folderOfPath() {
        #expect(AtomicFile.folder(of: "a") == ".")
        #expect(AtomicFile.folder(of: "/a") == "/")
        #expect(AtomicFile.folder(of: "/srv/state/status.json") == "/srv/state")
    }
}
