@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

@Test("manifest errors name the line and the problem", arguments: [
    ("empty file", manifestBytes(""), "line 1: the file has no header row"),
    ("only blank lines", manifestBytes("\n\r\n"), "line 1: the file has no header row"),
    ("missing unit column", manifestBytes("file,candidate\nvideo.mp4,1234\n"), "line 1: the header has no \"unit\" column"),
    ("missing file column after blank lines", manifestBytes("\n\nname,candidate,unit\n"), "line 3: the header has no \"file\" column"),
    ("column named twice", manifestBytes("file,unit,candidate,Unit\n"), "line 1: the header names the column \"unit\" twice"),
    ("unterminated quote", manifestBytes("file,candidate,unit\na.mp4,1,U\n\"b.mp4,2,U\nc.mp4,3,U\n"), "line 3: a quoted value is never closed"),
    ("text after closing quote", manifestBytes("file,candidate,unit\n\"a\"b.mp4,1,U\n"), "line 2: unexpected text after a closing quote"),
    ("empty candidate", manifestBytes("file,candidate,unit\r\na.mp4,,8711-305\r\n"), "line 2: the candidate is empty"),
    ("empty quoted unit", manifestBytes("file,candidate,unit\na.mp4,1234,\"\"\n"), "line 2: the unit is empty"),
    ("empty file", manifestBytes("file,candidate,unit\n,1234,8711-305\n"), "line 2: the file is empty"),
    ("too few values", manifestBytes("file,candidate,unit\n\na.mp4,1234\n"), "line 3: the unit is missing"),
    ("same file, different labels", manifestBytes("file,candidate,unit\na.mp4,1234,8711-305\nb.mp4,1,U\na.mp4,1235,8711-305\n"),
     "line 4: \"a.mp4\" is listed twice with different labels: line 2 says candidate \"1234\""),
    ("line numbers count quoted line breaks", manifestBytes("file,candidate,unit\n\"a\nb.mp4\",1,U\nc.mp4,,U\n"), "line 4: the candidate is empty"),
    ("not UTF-8", manifestBytes("file,candidate,unit\n") + [0x63, 0x61, 0x66, 0xE9, 0x2E, 0x6D, 0x70, 0x34] + manifestBytes(",1,U\n"),
     "line 2: the file is not valid UTF-8"),
    ("absolute path", manifestBytes("file,candidate,unit\n/srv/evidence/drop/a.mp4,1,U\n"), "line 2: the file \"/srv/evidence/drop/a.mp4\" must be relative"),
    ("dot-dot", manifestBytes("file,candidate,unit\n../a.mp4,1,U\n"), "line 2: the file \"../a.mp4\" must not contain \"..\""),
])
func manifestError(name: String, input: [UInt8], message: String) {
    #expect {
        _ = try Manifest.parse(input)
    } throws: { error in
        guard let error = error as? EvidenceError, error.code == .config else { return false }
        let ok = error.message.hasPrefix("manifest.csv ") && error.message.contains(message)
        if !ok { Issue.record("\(name): \(error.message)") }
        return ok
    }
}

/// A fuzz-shaped check until the fuzz target exists: arbitrary bytes, and every prefix of a
/// realistic manifest, give a manifest or an error, never a crash.
@Test("any bytes give a manifest or an error", arguments: 0..<300)
func manifestNeverCrashes(seed: Int) {
    let alphabet = manifestBytes("ab,\"\r\n \\/.12") + [0xEF, 0xBB, 0xBF, 0x00, 0xFF]
    let random = SampleHead.random(count: seed % 97, seed: UInt64(seed)).map { alphabet[Int($0) % alphabet.count] }
    _ = try? Manifest.parse(manifestBytes("file,candidate,unit\n") + random)
    _ = try? Manifest.parse(random)
    _ = try? Manifest.parse(SampleHead.random(count: seed, seed: UInt64(seed)))
    let realistic = manifestBytes("\u{FEFF}File,Candidate,Unit\r\n\"8711-305/1234/clip, 1.mp4\",1234,8711-305\r\nb.mp4,\"12\"\"34\",U\r\n")
    _ = try? Manifest.parse(Array(realistic.prefix(seed % (realistic.count + 1))))
}
