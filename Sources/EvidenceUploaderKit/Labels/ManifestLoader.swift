import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Reads `manifest.csv` from the drop root through the drop folder's descriptor.
enum ManifestLoader {
    static let maxSize = 16 << 20

    /// What the log and `status` say while a manifest cannot be used.
    static let brokenMessage: Logger.Message = "manifest.csv cannot be used; nothing is uploaded until it is fixed"

    /// What `status` and the status page say while a manifest cannot be used.
    static func statusProblem(_ detail: String) -> String {
        "a manifest cannot be used, so new files wait until it is fixed: \(detail)"
    }

    /// Every destination's manifest (in its folder; the drop root without destinations), by
    /// destination name; absent ones are left out. A broken one throws, naming its path.
    static func loadAll(from drop: DropFolder, config: Config) throws(EvidenceError) -> [String: Manifest] {
        var manifests: [String: Manifest] = [:]
        for (name, path) in config.manifestPaths.sorted(by: { $0.key < $1.key }) {
            do {
                manifests[name] = try load(from: drop, name: path)
            } catch {
                throw EvidenceError(error.code, error.message.hasPrefix(path) ? error.message : "\(path): \(error.message)", cause: error.cause)
            }
        }
        return manifests
    }

    /// nil when the manifest is disabled or absent.
    static func load(from drop: DropFolder, name: String) throws(EvidenceError) -> Manifest? {
        guard !name.isEmpty else { return nil }
        let file: EvidenceFile
        do {
            file = try drop.openEvidence(name)
        } catch {
            if case let .system(cause) = error, cause.errno == ENOENT { return nil }
            switch error {
            case let .rejected(rejection): throw EvidenceError(.config, "\(name): \(rejection.message)")
            case let .system(cause): throw EvidenceError(.config, "cannot read \(name)", cause: cause)
            }
        }
        guard file.size <= maxSize else {
            throw EvidenceError(.config, "\(name) is \(ByteFormatting.human(file.size)); a manifest may be at most \(ByteFormatting.human(Int64(maxSize)))")
        }
        return try Manifest.parse(try file.head(Int(file.size)))
    }
}
