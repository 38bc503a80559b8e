@testable import UploaderConfig
@testable import UploaderCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import EvidenceUploaderKit

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

/// A fresh temporary directory, removed (with its files) when the test ends.
final class ConfigTempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/config-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @discardableResult
    func write(_ name: String, _ contents: String, mode: mode_t) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0)
        let bytes = Array(contents.utf8)
        _ = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        close(fd)
        chmod(file, mode)
        return file
    }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

@Suite("Config portal password")
struct ConfigPasswordTests {
    func config(passwordFile: String) -> Config {
        var config = Config(centreNumber: "12345", portalURL: "https://portal.example.org/files/")
        config.portal.passwordFile = passwordFile
        return config
    }

    static let contents: [(String, String)] = [
        ("s3cret", "s3cret"),
        ("s3cret\n", "s3cret"),
        ("s3cret\r\n", "s3cret"),
        ("s3cret\n\n", "s3cret\n"),
        (" spaced pass ", " spaced pass "),
    ]

    @Test("mode 0600 is accepted; one trailing line end is stripped", arguments: contents)
    func acceptedFile(contents: String, expected: String) throws {
        let dir = ConfigTempDirectory()
        let file = dir.write("pw", contents, mode: 0o600)
        #expect(try config(passwordFile: file).loadPassword(environment: [:])?.value == expected)
    }

    @Test("group or other bits are refused", arguments: [0o644, 0o640, 0o604, 0o660, 0o700] as [mode_t])
    func refusedMode(mode: mode_t) {
        let dir = ConfigTempDirectory()
        let file = dir.write("pw", "topsecretvalue\n", mode: mode)
        do {
            _ = try config(passwordFile: file).loadPassword(environment: [:])
            if mode & 0o077 != 0 { Issue.record("mode \(String(mode, radix: 8)) accepted") }
        } catch {
            #expect(mode & 0o077 != 0, "mode \(String(mode, radix: 8)) refused: \(error)")
            #expect(error.code == .secret)
            #expect(error.message.contains(file.debugQuoted))
            #expect(error.message.contains("mode 0\(String(mode, radix: 8))"))
            #expect(error.message.contains("chmod 600 \(file)"))
            #expect(!error.description.contains("topsecretvalue"))
        }
    }

    @Test func mode0400IsAccepted() throws {
        let dir = ConfigTempDirectory()
        let file = dir.write("pw", "abc", mode: 0o400)
        #expect(try config(passwordFile: file).loadPassword(environment: [:])?.value == "abc")
    }

    @Test func credentialDirectoryWins() throws {
        let dir = ConfigTempDirectory()
        let file = dir.write("pw", "from-file\n", mode: 0o600)
        dir.write("portal-password", "from-credential\n", mode: 0o440)
        let password = try config(passwordFile: file).loadPassword(environment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(password?.value == "from-credential")
    }

    @Test func credentialDirectoryWithoutTheCredentialFallsBack() throws {
        let dir = ConfigTempDirectory()
        let file = dir.write("pw", "from-file\n", mode: 0o600)
        let password = try config(passwordFile: file).loadPassword(environment: ["CREDENTIALS_DIRECTORY": dir.path + "/none"])
        #expect(password?.value == "from-file")
    }

    @Test func noPasswordConfiguredIsNil() throws {
        #expect(try config(passwordFile: "").loadPassword(environment: [:]) == nil)
    }

    @Test func missingEmptyAndNonRegularFilesAreSecretErrors() {
        let dir = ConfigTempDirectory()
        let empty = dir.write("empty", "\n", mode: 0o600)
        let cases: [(String, String)] = [
            (dir.path + "/missing", "No such file or directory"),
            (empty, "is empty"),
            (dir.path, "is not a regular file"),
        ]
        for (path, fragment) in cases {
            #expect {
                try config(passwordFile: path).loadPassword(environment: [:])
            } throws: { error in
                let e = error as? EvidenceError
                return e?.code == .secret && e?.message.contains(path.debugQuoted) == true && e?.message.contains(fragment) == true
            }
        }
    }

    @Test func symlinkIsRefused() {
        let dir = ConfigTempDirectory()
        let target = dir.write("pw", "x", mode: 0o600)
        let link = dir.path + "/link"
        symlink(target, link)
        #expect(throws: EvidenceError.self) { try config(passwordFile: link).loadPassword(environment: [:]) }
    }

    @Test func passwordNeverPrints() {
        let password = PortalPassword(value: "hunter2")
        #expect(password.description == "<redacted>")
        #expect(password.debugDescription == "<redacted>")
        #expect("\(password)" == "<redacted>")
        #expect(String(reflecting: password) == "<redacted>")
        var dumped = ""
        dump(password, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}
