@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

func manifestBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Test("manifests parse whatever a spreadsheet saves", arguments: [
    ("LF", manifestBytes("file,candidate,unit\nvideo.mp4,1234,8711-305\n"), "video.mp4", "1234", "8711-305", 1),
    ("CRLF", manifestBytes("file,candidate,unit\r\nvideo.mp4,1234,8711-305\r\n"), "video.mp4", "1234", "8711-305", 1),
    ("lone CR", manifestBytes("file,candidate,unit\rvideo.mp4,1234,8711-305\r"), "video.mp4", "1234", "8711-305", 1),
    ("no final newline", manifestBytes("file,candidate,unit\nvideo.mp4,1234,8711-305"), "video.mp4", "1234", "8711-305", 1),
    ("BOM", [0xEF, 0xBB, 0xBF] + manifestBytes("file,candidate,unit\r\nvideo.mp4,1234,8711-305\r\n"), "video.mp4", "1234", "8711-305", 1),
    ("header order and case, extra columns", manifestBytes("Notes,UNIT,File,Candidate\nfirst try,8711-305,video.mp4,1234\n"),
     "video.mp4", "1234", "8711-305", 1),
    ("quoted comma", manifestBytes("file,candidate,unit\n\"clip, take 2.mp4\",1234,8711-305\n"), "clip, take 2.mp4", "1234", "8711-305", 1),
    ("space before a quoted value", manifestBytes("file,candidate,unit\nx.mp4, \"1234\", \"8711-305\"\n"), "x.mp4", "1234", "8711-305", 1),
    ("doubled quotes", manifestBytes("file,candidate,unit\n\"the \"\"good\"\" one.mp4\",1234,8711-305\n"),
     "the \"good\" one.mp4", "1234", "8711-305", 1),
    ("newline inside quotes", manifestBytes("file,candidate,unit\n\"odd\nname.mp4\",1234,8711-305\n"), "odd\nname.mp4", "1234", "8711-305", 1),
    ("blank lines and empty rows", manifestBytes("\n\nfile,candidate,unit\n\n,,\r\nvideo.mp4,1234,8711-305\n\n , ,\n"),
     "video.mp4", "1234", "8711-305", 1),
    ("spaces around unquoted values", manifestBytes("file , candidate , unit\n video.mp4 , 1234 , 8711-305 \n"),
     "video.mp4", "1234", "8711-305", 1),
    ("relative path", manifestBytes("file,candidate,unit\n8711-305/1234/video.mp4,1234,8711-305\n"),
     "8711-305/1234/video.mp4", "1234", "8711-305", 1),
    ("Windows path", manifestBytes("file,candidate,unit\n8711-305\\1234\\video.mp4,1234,8711-305\n"),
     "8711-305/1234/video.mp4", "1234", "8711-305", 1),
    ("same file twice, same labels", manifestBytes("file,candidate,unit\nvideo.mp4,1234,8711-305\nvideo.mp4,1234,8711-305\n"),
     "video.mp4", "1234", "8711-305", 1),
    ("two files", manifestBytes("file,candidate,unit\na.mp4,1,U\nvideo.mp4,1234,8711-305\n"), "video.mp4", "1234", "8711-305", 2),
    ("header only", manifestBytes("file,candidate,unit\n"), "video.mp4", nil, nil, 0),
] as [(String, [UInt8], String, String?, String?, Int)])
func parseManifest(name: String, input: [UInt8], file: String, candidate: String?, unit: String?, count: Int) throws {
    let manifest = try Manifest.parse(input)
    #expect(manifest.count == count, "\(name)")
    let found = try manifest.lookup(relativePath: file).get()
    #expect(found?.candidate == candidate, "\(name)")
    #expect(found?.unit == unit, "\(name)")
}
