// libFuzzer target: the openability detectors on hostile bytes, as a whole file in memory: ZIP
// (end records, ZIP64, central directory), 7z (headers, the LZMA decoder), RAR 4/5, PDF trailers,
// OLE directories, MP4/MOV box walks, Matroska and AVI. The first byte picks what the rest poses
// as (its magic is written over the start) so every parser is reached, not only the sniffer's pick.
// The FuzzOpenability target: it links UploaderCore, built by scripts/fuzz with
// -sanitize=fuzzer,address.

#if DEBUG || FUZZING  // `@testable import` needs testing enabled: a debug build, or scripts/fuzz
@testable import UploaderCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let magics: [[UInt8]] = [
        [], ZipEncryption.localHeader, ZipEncryption.endOfCentralDirectory, SevenZipEncryption.signature,
        RAREncryption.rar4, RAREncryption.rar5, asciiBytes("%PDF-"), OfficeEncryption.signature,
        [0, 0, 0, 0x18] + asciiBytes("ftypisom"), [0x1A, 0x45, 0xDF, 0xA3], asciiBytes("RIFF\0\0\0\0AVI "),
    ]
    let magic = magics[Int(data[0]) % magics.count]
    for (i, byte) in magic.enumerated() where i < bytes.count { bytes[i] = byte }
    if bytes.count < magic.count && data[0] & 0x80 != 0 { bytes = magic }

    let file = InMemoryBytes(bytes)
    let head = Array(bytes.prefix(ContentSniffer.headLength))
    let kind = ContentSniffer.sniff(head)
    let policy = OpenabilityPolicy(rejectEncrypted: true, rejectUnplayableVideo: true)
    do {
        _ = try policy.check(fileName: "fuzz.bin", kind: kind, head: head, bytes: file)
        // Every detector on every input, whatever the sniffer said.
        _ = try EncryptionDetector.encryptedFormat(head: head, bytes: file)
        _ = try ZipEncryption.isEncrypted(head: head, bytes: file)
        _ = try SevenZipEncryption.isEncrypted(head: head, bytes: file)
        _ = try RAREncryption.isEncrypted(head: head, bytes: file)
        _ = try PDFEncryption.isEncrypted(bytes: file)
        _ = try OfficeEncryption.isEncrypted(head: head, bytes: file)
        for container in VideoContainer.allCases {
            _ = try VideoCompleteness.damage(container, bytes: file)
        }
    } catch {
        fatalError("in-memory bytes never fail to read: \(error)")
    }
    // The LZMA decoder on raw bytes: properties from the first five, a capped output size.
    if bytes.count > 6 {
        let unpack = Int(bytes[5]) << 8 | Int(bytes[6])
        if let out = LZMADecoder.decode(Array(bytes.dropFirst(7)), properties: Array(bytes.prefix(5)), unpackSize: unpack) {
            check(out.count <= unpack, "LZMA wrote more than asked")
        }
    }
    var reader = SevenZipReader(bytes: bytes)
    _ = reader.streamsInfo()
    return 0
}

func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError(message) }
}
#endif
