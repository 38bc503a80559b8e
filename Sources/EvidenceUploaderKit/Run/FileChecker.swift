import UploaderConfig
import UploaderCore
import UploaderSystem
#if canImport(Glibc)
import Glibc
#endif

/// `check PATH...`: the settle-free checks on a file, reported in words; uploads nothing.
public struct FileChecker {
    public struct Report: Sendable {
        public var accepted: Bool
        public var text: String
    }

    let config: Config
    let dropRoot: String?
    let manifests: [String: Manifest]

    public init(config: Config) throws(EvidenceError) {
        self.config = config
        dropRoot = Self.realPath(config.folders.drop)
        if let dropRoot, let drop = try? DropFolder(path: dropRoot) {
            manifests = try ManifestLoader.loadAll(from: drop, config: config)
        } else {
            manifests = [:]
        }
    }

    public func check(path: String) -> Report {
        // Resolve the folder, never the file itself: a symlink must be judged, not followed.
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.last else { return Report(accepted: false, text: "\(path.debugQuoted): not a file") }
        let parent = path.hasPrefix("/") ? "/" + components.dropLast().joined(separator: "/")
                                         : (components.count > 1 ? components.dropLast().joined(separator: "/") : ".")
        guard let parentReal = Self.realPath(parent) else {
            return Report(accepted: false, text: "\(path.debugQuoted): REJECTED\n  cannot open its folder: \(String(cString: strerror(errno)))")
        }
        let full = (parentReal == "/" ? "" : parentReal) + "/" + name
        let relative: String
        let root: String
        if let dropRoot, full.hasPrefix(dropRoot + "/") {
            root = dropRoot
            relative = String(full.dropFirst(dropRoot.count + 1))
        } else {
            // Outside the drop folder: take labels from as many trailing folders as the layout has
            // (and, with destinations, the destination's folder above them).
            let destination = config.destinations[0]
            let depth = destination.labels.layout.split(separator: "/").count
                + (destination.folder.isEmpty ? 0 : destination.folder.split(separator: "/").count)
            let fullParts = full.split(separator: "/").map(String.init)
            let kept = Array(fullParts.suffix(depth))
            relative = kept.joined(separator: "/")
            root = "/" + fullParts.dropLast(kept.count).joined(separator: "/")
        }
        let examination: Examination
        var lines: [String] = []
        do {
            let drop = try DropFolder(path: root)
            let file: EvidenceFile
            do {
                file = try drop.openEvidence(relative)
            } catch {
                switch error {
                case let .rejected(rejection): return report(path, .rejected(rejection), lines)
                case let .system(cause): return Report(accepted: false, text: "\(path.debugQuoted): cannot check: \(cause)")
                }
            }
            lines.append("size: \(Notes.sizeWords(file.size))")
            examination = try Examiner(config: config, manifests: manifests).examine(file, relativePath: relative)
        } catch {
            return Report(accepted: false, text: "\(path.debugQuoted): cannot check: \(error)")
        }
        return report(path, examination, lines)
    }

    private func report(_ path: String, _ examination: Examination, _ lines: [String]) -> Report {
        var lines = lines
        switch examination {
        case let .accepted(a):
            lines += [
                "destination: \(a.destination.isEmpty ? "the portal" : a.destination)",
                "type: \(a.fileType)",
                "route: \(a.route.rawValue) upload to \(a.endpoint)",
                "centre: \(a.labels.centre)", "candidate: \(a.labels.candidate)", "unit: \(a.labels.unit)",
            ]
            if let (plan, original) = a.compression {
                lines.append("compress: over the video size limit, so it would be compressed (the original is kept): "
                             + "from \(original.summary) to \(plan.summary)")
            }
            return Report(accepted: true, text: "\(path.debugQuoted): ACCEPTED\n" + lines.map { "  " + $0 }.joined(separator: "\n"))
        case let .rejected(r):
            lines += ["problem: \(r.code)", "why: \(r.message)"]
            return Report(accepted: false, text: "\(path.debugQuoted): REJECTED\n" + lines.map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
