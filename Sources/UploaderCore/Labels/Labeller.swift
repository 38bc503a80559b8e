/// Gives every file its centre, candidate and unit, from the manifest and the folder layout, or
/// says why it cannot. A file is never uploaded unlabelled or with labels that disagree.
package struct Labeller: Sendable {
    let centre: String
    let layout: LabelLayout
    package let manifest: Manifest?

    package init(centre: String, layout: LabelLayout, manifest: Manifest?) {
        self.centre = centre
        self.layout = layout
        self.manifest = manifest
    }

    /// The manifest's entry wins where there is one, but if the folders also give a candidate or
    /// unit that differs, the file is rejected (`label-conflict`). Without a manifest entry the
    /// folders must give both (`unlabelled` otherwise). Labels are then validated (`invalid-label`).
    package func labels(forRelativePath path: String) -> Result<EvidenceLabels, Rejection> {
        let folders = layout.match(relativePath: path)
        var entry: (candidate: String, unit: String)?
        if let manifest {
            switch manifest.lookup(relativePath: path) {
            case .failure(let rejection): return .failure(rejection)
            case .success(let found): entry = found
            }
        }
        let candidate: String, unit: String, source: String
        if let entry {
            if let folderCandidate = folders?.candidate, folderCandidate != entry.candidate {
                return .failure(.labelConflict(field: "candidate number", folderValue: folderCandidate,
                                               manifestValue: entry.candidate, path: path))
            }
            if let folderUnit = folders?.unit, folderUnit != entry.unit {
                return .failure(.labelConflict(field: "unit", folderValue: folderUnit,
                                               manifestValue: entry.unit, path: path))
            }
            (candidate, unit, source) = (entry.candidate, entry.unit, "manifest.csv")
        } else {
            guard let folderCandidate = folders?.candidate, let folderUnit = folders?.unit else {
                return .failure(.unlabelled(path: path, layout: layout, partial: folders))
            }
            (candidate, unit, source) = (folderCandidate, folderUnit, "the folder name")
        }
        if let problem = labelProblem(candidate) {
            return .failure(.invalidLabel(field: "candidate number", value: candidate, source: source, problem: problem))
        }
        if let problem = labelProblem(unit) {
            return .failure(.invalidLabel(field: "unit", value: unit, source: source, problem: problem))
        }
        return .success(EvidenceLabels(centre: centre, candidate: candidate, unit: unit))
    }
}
