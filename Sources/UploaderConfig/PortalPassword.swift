import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The portal password. It never prints: `description` and `debugDescription` are "<redacted>".
public struct PortalPassword: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package let value: String

    init(value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [] as [(label: String?, value: Any)]) }

    static let credentialName = "portal-password"
    static let maxBytes = 64 << 10
}

extension Config {
    /// The portal password: the systemd credential `$CREDENTIALS_DIRECTORY/portal-password` if it
    /// exists, else `portal.password_file` if set, else nil (no authentication). One trailing
    /// "\n" or "\r\n" is stripped. A password file must be a regular file with mode 0600 or stricter.
    public func loadPassword(environment: [String: String]) throws(EvidenceError) -> PortalPassword? {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = ConfigPath.normalise(directory + "/" + PortalPassword.credentialName)
            if let password = try PortalPassword.read(path: path, checkMode: false, missingIsNil: true) {
                return password
            }
        }
        guard !portal.passwordFile.isEmpty else { return nil }
        return try PortalPassword.read(path: portal.passwordFile, checkMode: true, missingIsNil: false)
    }
}

/// Each destination's password, by destination name ("" without destinations); absent = no
/// authentication for that portal.
public typealias PortalPasswords = [String: PortalPassword]

extension Config {
    /// Every destination's password (see `Destination.loadPassword`).
    public func loadPasswords(environment: [String: String]) throws(EvidenceError) -> PortalPasswords {
        var passwords: PortalPasswords = [:]
        for destination in destinations {
            passwords[destination.name] = try destination.loadPassword(environment: environment)
        }
        return passwords
    }
}

extension Config.Destination {
    /// The systemd credential that holds this destination's password: `portal-password` for the
    /// one portal of a config without destinations, `NAME-password` for `[destination.NAME]`.
    package var credentialName: String { isImplicit ? PortalPassword.credentialName : "\(name)-password" }

    /// The systemd credential that holds an S3 destination's secret access key: `s3-secret`, or
    /// `NAME-s3-secret` for `[destination.NAME]`.
    var s3SecretCredentialName: String { isImplicit ? "s3-secret" : "\(name)-s3-secret" }

    /// The credential if present, else `password_file` if set, else nil (no authentication).
    /// For S3, the secret access key: its credential, else `secret_file`; one is required.
    func loadPassword(environment: [String: String]) throws(EvidenceError) -> PortalPassword? {
        if transferProtocol == .s3 { return try loadS3Secret(environment: environment) }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = ConfigPath.normalise(directory + "/" + credentialName)
            if let password = try PortalPassword.read(path: path, checkMode: false, missingIsNil: true) {
                return password
            }
        }
        guard !portal.passwordFile.isEmpty else { return nil }
        return try PortalPassword.read(path: portal.passwordFile, checkMode: true, missingIsNil: false)
    }
}

extension Config.Destination {
    func loadS3Secret(environment: [String: String]) throws(EvidenceError) -> PortalPassword {
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = ConfigPath.normalise(directory + "/" + s3SecretCredentialName)
            if let secret = try PortalPassword.read(path: path, checkMode: false, missingIsNil: true) { return secret }
        }
        let section = isImplicit ? "[portal]" : "[destination.\(name)]"
        guard !portal.secretFile.isEmpty else {
            throw EvidenceError(.secret, "\(section) uses protocol = \"s3\" but has no secret: set secret_file (mode 0600) or the systemd credential \"\(s3SecretCredentialName)\"")
        }
        guard let secret = try PortalPassword.read(path: portal.secretFile, checkMode: true, missingIsNil: false) else {
            throw EvidenceError(.secret, "cannot read secret file \(portal.secretFile.debugQuoted)")
        }
        return secret
    }
}

extension PortalPassword {
    static func read(path: String, checkMode: Bool, missingIsNil: Bool) throws(EvidenceError) -> PortalPassword? {
        let fd: Int32
        do {
            fd = try syscall("open", path: path) { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        } catch {
            if missingIsNil && error.errno == ENOENT { return nil }
            throw EvidenceError(.secret, "cannot read password file \(path.debugQuoted): \(error.reason)", cause: error)
        }
        defer { close(fd) }
        var info = stat()
        do {
            try syscall("fstat", path: path) { fstat(fd, &info) }
        } catch {
            throw EvidenceError(.secret, "cannot read password file \(path.debugQuoted): \(error.reason)", cause: error)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw EvidenceError(.secret, "password file \(path.debugQuoted) is not a regular file; point password_file at a regular file with mode 0600")
        }
        let permissions = info.st_mode & 0o777
        if checkMode && permissions & 0o077 != 0 {
            let octal = String(permissions, radix: 8)
            throw EvidenceError(.secret, "password file \(path.debugQuoted) has mode 0\(octal), readable by group or others; allowed: mode 0600 or stricter; fix with: chmod 600 \(path)")
        }
        var bytes: [UInt8]
        do {
            bytes = try FileBytes.read(fd: fd, path: path, limit: maxBytes + 1)
        } catch {
            throw EvidenceError(.secret, "cannot read password file \(path.debugQuoted): \(error.reason)", cause: error)
        }
        guard bytes.count <= maxBytes else {
            throw EvidenceError(.secret, "password file \(path.debugQuoted) is larger than 64 KiB; it should hold only the password")
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard !bytes.isEmpty else {
            throw EvidenceError(.secret, "password file \(path.debugQuoted) is empty; write the portal password into it")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw EvidenceError(.secret, "password file \(path.debugQuoted) is not valid UTF-8 text")
        }
        return PortalPassword(value: text)
    }
}
