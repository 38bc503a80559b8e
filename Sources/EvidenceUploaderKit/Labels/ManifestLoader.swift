import Logging
import UploaderConfig
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// Reads the manifests (`manifest.csv`) through the drop folder's descriptor.
enum ManifestLoader {
    static let maxSize = 16 << 20

    /// What the log and `status` say while a manifest cannot be used.
    static let brokenMessage: Logger.Message = "manifest.csv cannot be used; nothing is uploaded until it is fixed"

    /// What `status` and the status page say while a manifest cannot be used.
    static func statusProblem(_ detail: String) -> String {
        "a manifest cannot be used, so new files wait until it is fixed: \(detail)"
    }

    /// Every destination's manifest (in its folder; the drop root without destinations), by
    /// destination name; absent ones are left out. With destinations, the lines of a manifest in
    /// the drop root (`destination` column) are added to the destinations they name. A broken one
    /// throws, naming its path.
    static func loadAll(from drop: DropFolder, config: Config) throws(EvidenceError) -> [String: Manifest] {
        func named(_ path: String, _ error: EvidenceError) -> EvidenceError {
            EvidenceError(error.code, error.message.hasPrefix(path) ? error.message : "\(path): \(error.message)", cause: error.cause)
        }
        var manifests: [String: Manifest] = [:]
        for (name, path) in config.manifestPaths.sorted(by: { $0.key < $1.key }) {
            do {
                manifests[name] = try load(from: drop, name: path)
            } catch {
                throw named(path, error)
            }
        }
        if let rootPath = config.rootManifestPath {
            let names = Set(config.destinations.map(\.name))
            do {
                if let root = try load(from: drop, name: rootPath, destinations: names) {
                    for name in names.sorted() {
                        let lines = root.entries(for: name)
                        guard lines.count > 0 else { continue }
                        manifests[name] = try manifests[name]?.merged(with: lines, otherName: rootPath) ?? lines
                    }
                }
            } catch {
                throw named(rootPath, error)
            }
        }
        return manifests
    }

    /// nil when the manifest is disabled or absent. `destinations`: see `Manifest.parse`.
    static func load(from drop: DropFolder, name: String, destinations: Set<String>? = nil) throws(EvidenceError) -> Manifest? {
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
        return try Manifest.parse(try file.head(Int(file.size)), destinations: destinations)
    }
}
