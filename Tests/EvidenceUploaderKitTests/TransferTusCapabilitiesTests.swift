@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCurl
@testable import UploaderHashing
@testable import UploaderJournal

struct TransferCapabilitiesCase: Sendable, CustomStringConvertible {
    let name: String
    let headers: [String: String]
    let versions: [String]
    let extensions: Set<String>
    let maxSize: Int64?
    let algorithms: [String]
    let checksum: Digest.Algorithm?
    var termination = false
    var description: String { name }
}

@Test("TusCapabilities(headers:)", arguments: [
    TransferCapabilitiesCase(name: "no headers", headers: [:], versions: [], extensions: [], maxSize: nil, algorithms: [], checksum: nil),
    TransferCapabilitiesCase(name: "lists with spaces",
                     headers: ["tus-version": "1.0.0, 0.2.2 ,0.2.1", "tus-extension": " creation ,termination,\tchecksum , expiration"],
                     versions: ["1.0.0", "0.2.2", "0.2.1"], extensions: ["creation", "termination", "checksum", "expiration"],
                     maxSize: nil, algorithms: [], checksum: nil, termination: true),
    TransferCapabilitiesCase(name: "empty list items are dropped",
                     headers: ["tus-version": "1.0.0,,", "tus-extension": ",creation, ,"],
                     versions: ["1.0.0"], extensions: ["creation"], maxSize: nil, algorithms: [], checksum: nil),
    TransferCapabilitiesCase(name: "max size",
                     headers: ["tus-version": "1.0.0", "tus-max-size": "1073741824"],
                     versions: ["1.0.0"], extensions: [], maxSize: 1_073_741_824, algorithms: [], checksum: nil),
    TransferCapabilitiesCase(name: "max size not a number",
                     headers: ["tus-max-size": "lots"], versions: [], extensions: [], maxSize: nil, algorithms: [], checksum: nil),
    TransferCapabilitiesCase(name: "sha256 preferred over sha1 and md5",
                     headers: ["tus-extension": "creation,checksum", "tus-checksum-algorithm": "md5,sha1,sha256"],
                     versions: [], extensions: ["creation", "checksum"], maxSize: nil,
                     algorithms: ["md5", "sha1", "sha256"], checksum: .sha256),
    TransferCapabilitiesCase(name: "sha1 preferred over md5",
                     headers: ["tus-extension": "checksum", "tus-checksum-algorithm": "md5, sha1"],
                     versions: [], extensions: ["checksum"], maxSize: nil, algorithms: ["md5", "sha1"], checksum: .sha1),
    TransferCapabilitiesCase(name: "md5 only",
                     headers: ["tus-extension": "checksum", "tus-checksum-algorithm": "md5"],
                     versions: [], extensions: ["checksum"], maxSize: nil, algorithms: ["md5"], checksum: .md5),
    TransferCapabilitiesCase(name: "algorithm names are lower-cased",
                     headers: ["tus-extension": "checksum", "tus-checksum-algorithm": "SHA1, CRC32"],
                     versions: [], extensions: ["checksum"], maxSize: nil, algorithms: ["sha1", "crc32"], checksum: .sha1),
    TransferCapabilitiesCase(name: "only unknown algorithms",
                     headers: ["tus-extension": "checksum", "tus-checksum-algorithm": "crc32,sha512"],
                     versions: [], extensions: ["checksum"], maxSize: nil, algorithms: ["crc32", "sha512"], checksum: nil),
    TransferCapabilitiesCase(name: "algorithms without the checksum extension give none",
                     headers: ["tus-extension": "creation", "tus-checksum-algorithm": "sha256"],
                     versions: [], extensions: ["creation"], maxSize: nil, algorithms: ["sha256"], checksum: nil),
    TransferCapabilitiesCase(name: "checksum extension without algorithms gives none",
                     headers: ["tus-extension": "checksum"],
                     versions: [], extensions: ["checksum"], maxSize: nil, algorithms: [], checksum: nil),
])
func tusCapabilities(_ c: TransferCapabilitiesCase) {
    let capabilities = TusCapabilities(headers: c.headers)
    #expect(capabilities.versions == c.versions)
    #expect(capabilities.extensions == c.extensions)
    #expect(capabilities.maxSize == c.maxSize)
    #expect(capabilities.checksumAlgorithms == c.algorithms)
    #expect(capabilities.checksumAlgorithm == c.checksum)
    #expect(capabilities.supportsTermination == c.termination)
}

@Test("TusCapabilities.assumed is core plus creation")
func tusCapabilitiesAssumed() {
    #expect(TusCapabilities.assumed == TusCapabilities(versions: ["1.0.0"], extensions: ["creation"]))
    #expect(TusCapabilities.assumed.maxSize == nil)
    #expect(TusCapabilities.assumed.checksumAlgorithm == nil)
    #expect(!TusCapabilities.assumed.supportsTermination)
}
