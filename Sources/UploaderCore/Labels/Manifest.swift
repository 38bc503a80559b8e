/// `manifest.csv`: labels for many files at once, for centres whose folders do not follow the
/// layout. Columns `file`, `candidate`, `unit` (any order, named in a header row, other columns
/// ignored), and optionally `notes`: words for the moderator, sent with the file. `file` is a path
/// relative to the manifest's folder ("8711-305/1234/a.mp4"), or a bare file name that matches the
/// file wherever it is.
///
/// With `[destination.NAME]` tables a manifest sits in a destination's folder and applies to it,
/// or in the drop root with a `destination` column naming, on each line, the destination whose
/// folder `file` is relative to (`parse(_:destinations:)`, then `entries(for:)`).
package struct Manifest: Sendable {
    struct Entry: Sendable, Equatable {
        var file: String
        var candidate: String
        var unit: String
        var line: Int
        /// The optional `notes` column: for the moderator ("additional information ... in the notes section").
        var notes: String? = nil
        /// The `destination` column of a manifest in the drop root; nil elsewhere.
        var destination: String? = nil

        func sameLabels(as other: Entry) -> Bool { candidate == other.candidate && unit == other.unit }
    }

    /// Entries with a folder part, by normalised relative path.
    let pathEntries: [String: Entry]
    /// Entries that are a bare file name, by name.
    let nameEntries: [String: Entry]

    package var count: Int { pathEntries.count + nameEntries.count }

    /// Keyed by file, and by destination first in a drop root's manifest (which is only read
    /// through `entries(for:)`): the same name may be listed once per destination.
    private init(entries: [Entry]) {
        var pathEntries: [String: Entry] = [:]
        var nameEntries: [String: Entry] = [:]
        for entry in entries {
            let key = (entry.destination.map { $0 + "\u{0}" } ?? "") + entry.file
            if entry.file.contains("/") { pathEntries[key] = entry } else { nameEntries[key] = entry }
        }
        self.init(pathEntries: pathEntries, nameEntries: nameEntries)
    }

    private init(pathEntries: [String: Entry], nameEntries: [String: Entry]) {
        self.pathEntries = pathEntries
        self.nameEntries = nameEntries
    }

    private var entries: [Entry] { Array(pathEntries.values) + Array(nameEntries.values) }

    /// The lines of a manifest in the drop root that are for one destination, as its manifest.
    package func entries(for destination: String) -> Manifest {
        Manifest(entries: entries.filter { $0.destination == destination }.map { entry in
            var own = entry
            own.destination = nil
            return own
        })
    }

    /// This manifest and another for the same folder as one (a destination's own manifest and its
    /// lines in the drop root's). A file both list with different labels is an error naming both.
    package func merged(with other: Manifest, otherName: String) throws(EvidenceError) -> Manifest {
        var path = pathEntries, name = nameEntries
        for entry in other.entries {
            let isBare = !entry.file.contains("/")
            if let existing = isBare ? name[entry.file] : path[entry.file] {
                guard existing.sameLabels(as: entry) else {
                    throw EvidenceError(.config, "\(otherName) line \(entry.line): \(entry.file.debugQuoted) is also listed in the "
                        + "destination's own manifest (line \(existing.line)) with other labels: candidate "
                        + "\(existing.candidate.debugQuoted), unit \(existing.unit.debugQuoted) there; candidate "
                        + "\(entry.candidate.debugQuoted), unit \(entry.unit.debugQuoted) here. Keep the one line that is right")
                }
                continue
            }
            if isBare { name[entry.file] = entry } else { path[entry.file] = entry }
        }
        return Manifest(pathEntries: path, nameEntries: name)
    }

    /// Parse the manifest. Errors name the line: `manifest.csv line N: ...`. Total on any bytes.
    /// `destinations`: the configured destination names, for a manifest in the drop root of a
    /// config with `[destination.NAME]` tables: it must then have a `destination` column, and each
    /// line must name one of them. Elsewhere (nil) a `destination` column is ignored.
    package static func parse(_ bytes: [UInt8], destinations: Set<String>? = nil) throws(EvidenceError) -> Manifest {
        func failure(_ line: Int, _ reason: String) -> EvidenceError {
            EvidenceError(.config, "manifest.csv line \(line): \(reason)")
        }
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch {
            throw failure(error.line, error.reason)
        }
        var rows = records.filter { !$0.isBlank }.makeIterator()
        guard let header = rows.next() else {
            throw EvidenceError(.config, "manifest.csv line 1: the file has no header row; "
                + "the first line must name the columns: file,candidate,unit")
        }
        var columns: [String: Int] = [:]
        for (position, field) in header.fields.enumerated() {
            guard let name = field.text?.trimmingSpaces.lowercased() else {
                throw failure(header.line, "the header is not valid UTF-8 text; save the manifest as \"CSV UTF-8\"")
            }
            guard ["file", "candidate", "unit", "notes", "destination"].contains(name) else { continue }
            if columns[name] != nil { throw failure(header.line, "the header names the column \"\(name)\" twice") }
            columns[name] = position
        }
        for name in ["file", "candidate", "unit"] where columns[name] == nil {
            throw failure(header.line, "the header has no \"\(name)\" column; "
                + "the first line must name the columns: file,candidate,unit")
        }
        if destinations != nil, columns["destination"] == nil {
            throw failure(header.line, "the header has no \"destination\" column; a manifest in the drop root says on each "
                + "line which destination the file is for: file,candidate,unit,destination")
        }
        let fileColumn = columns["file"]!, candidateColumn = columns["candidate"]!, unitColumn = columns["unit"]!
        let notesColumn = columns["notes"]
        let destinationColumn = destinations == nil ? nil : columns["destination"]

        var pathEntries: [String: Entry] = [:]
        var nameEntries: [String: Entry] = [:]
        while let row = rows.next() {
            func value(_ column: Int, _ name: String) throws(EvidenceError) -> String {
                guard column < row.fields.count else {
                    throw failure(row.line, "the \(name) is missing (the line has only \(row.fields.count) "
                        + "\(row.fields.count == 1 ? "value" : "values"))")
                }
                let field = row.fields[column]
                guard let text = field.text else {
                    throw failure(row.line, "the \(name) is not valid UTF-8 text; save the manifest as \"CSV UTF-8\"")
                }
                let trimmed = field.quoted ? text : text.trimmingSpaces
                guard !trimmed.isEmpty else { throw failure(row.line, "the \(name) is empty") }
                return trimmed
            }
            let rawFile = try value(fileColumn, "file")
            let candidate = try value(candidateColumn, "candidate")
            let unit = try value(unitColumn, "unit")
            let file: String
            switch normalise(rawFile) {
            case .success(let path): file = path
            case .failure(let problem): throw failure(row.line, "the file \(rawFile.debugQuoted) \(problem.reason)")
            }
            var entry = Entry(file: file, candidate: candidate, unit: unit, line: row.line)
            if let destinationColumn, let destinations {
                let named = try value(destinationColumn, "destination")
                guard destinations.contains(named) else {
                    throw failure(row.line, "the destination \(named.debugQuoted) is not one of the configured destinations ("
                        + destinations.sorted().joined(separator: ", ") + ")")
                }
                entry.destination = named
            }
            if let notesColumn, notesColumn < row.fields.count {
                guard let text = row.fields[notesColumn].text else {
                    throw failure(row.line, "the notes are not valid UTF-8 text; save the manifest as \"CSV UTF-8\"")
                }
                let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
                    .trimmingSpaces
                guard cleaned.count <= 2000 else { throw failure(row.line, "the notes are longer than 2000 characters") }
                entry.notes = cleaned.isEmpty ? nil : cleaned
            }
            let isBare = !file.contains("/")
            let key = (entry.destination.map { $0 + "\u{0}" } ?? "") + file  // as `init(entries:)` keys them
            if let existing = isBare ? nameEntries[key] : pathEntries[key] {
                guard existing.sameLabels(as: entry) else {
                    throw failure(row.line, "\(file.debugQuoted) is listed twice with different labels: line "
                        + "\(existing.line) says candidate \(existing.candidate.debugQuoted), unit "
                        + "\(existing.unit.debugQuoted); this line says candidate \(candidate.debugQuoted), unit "
                        + "\(unit.debugQuoted). Keep the one line that is right")
                }
                continue
            }
            if isBare { nameEntries[key] = entry } else { pathEntries[key] = entry }
        }
        return Manifest(entries: Array(pathEntries.values) + Array(nameEntries.values))
    }

    /// "8711-305\1234\a.mp4" (written on Windows) and "./8711-305/1234/a.mp4" become
    /// "8711-305/1234/a.mp4". Absolute paths and ".." are refused.
    static func normalise(_ raw: String) -> Result<String, NormaliseFailure> {
        let slashed = raw.replacingBackslashes
        if slashed.hasPrefix("/") { return .failure(NormaliseFailure("must be relative to the drop folder, not start with \"/\"")) }
        let parts = relativePathComponents(slashed)
        if parts.contains("..") { return .failure(NormaliseFailure("must not contain \"..\"")) }
        if parts.isEmpty { return .failure(NormaliseFailure("is not a file name")) }
        return .success(parts.joined(separator: "/"))
    }

    struct NormaliseFailure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The exact relative-path entry first; otherwise one matching in a different letter case;
    /// otherwise a bare-name entry matching the last component (exact name first, then ignoring
    /// case). Several candidates with different labels are ambiguous: `label-conflict`.
    func lookup(relativePath: String) -> Result<(candidate: String, unit: String)?, Rejection> {
        let parts = relativePathComponents(relativePath)
        guard let name = parts.last.map(String.init) else { return .success(nil) }
        let path = parts.joined(separator: "/")
        if let entry = pathEntries[path] { return .success((entry.candidate, entry.unit)) }
        let folded = path.lowercased()
        let pathMatches = pathEntries.values.filter { $0.file.lowercased() == folded }
        if let result = Self.single(pathMatches, path: path) { return result }
        if let entry = nameEntries[name] { return .success((entry.candidate, entry.unit)) }
        let foldedName = name.lowercased()
        let nameMatches = nameEntries.values.filter { $0.file.lowercased() == foldedName }
        if let result = Self.single(nameMatches, path: path) { return result }
        return .success(nil)
    }

    /// The notes for a file, found the way its labels are (an exact path first, then a bare name).
    package func notes(relativePath: String) -> String? {
        let parts = relativePathComponents(relativePath)
        guard let name = parts.last.map(String.init) else { return nil }
        let path = parts.joined(separator: "/")
        if let entry = pathEntries[path] { return entry.notes }
        if let entry = pathEntries.values.first(where: { $0.file.lowercased() == path.lowercased() }) { return entry.notes }
        if let entry = nameEntries[name] { return entry.notes }
        return nameEntries.values.first { $0.file.lowercased() == name.lowercased() }?.notes
    }

    /// nil when nothing matched; the labels when every match agrees; a conflict otherwise.
    private static func single(_ matches: [Entry], path: String) -> Result<(candidate: String, unit: String)?, Rejection>? {
        let sorted = matches.sorted { $0.line < $1.line }
        guard let first = sorted.first else { return nil }
        if sorted.allSatisfy({ $0.sameLabels(as: first) }) { return .success((first.candidate, first.unit)) }
        return .failure(.manifestAmbiguous(path: path, entries: sorted))
    }
}

extension CSVReader.Record {
    /// A blank line, or one with only empty values (",," from a spreadsheet's empty row).
    var isBlank: Bool {
        fields.allSatisfy { !$0.quoted && $0.bytes.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") } }
    }
}

extension CSVReader.Field {
    /// The value as text, or nil when it is not valid UTF-8.
    var text: String? { String(validating: bytes, as: UTF8.self) }
}

extension String {
    var replacingBackslashes: String {
        String(map { $0 == "\\" ? "/" : $0 })
    }
}
