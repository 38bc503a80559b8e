/// The labeller's rejections, worded for the exams officer who finds them beside the file.
extension Rejection {
    static func labelConflict(field: String, folderValue: String, manifestValue: String, path: String) -> Rejection {
        Rejection(
            code: "label-conflict",
            message: "The folders say this file belongs to \(field) \(folderValue.debugQuoted), but manifest.csv "
                + "says \(field) \(manifestValue.debugQuoted), so it is not uploaded rather than risk labelling it "
                + "wrongly. Move the file to the right folder or correct its line in manifest.csv, "
                + "then drop it in again.")
    }

    static func manifestAmbiguous(path: String, entries: [Manifest.Entry]) -> Rejection {
        let listed = entries.map {
            "line \($0.line) (\($0.file.debugQuoted): candidate \($0.candidate.debugQuoted), unit \($0.unit.debugQuoted))"
        }.joined(separator: "; ")
        return Rejection(
            code: "label-conflict",
            message: "More than one line of manifest.csv could be meant for this file, and they give different "
                + "candidate or unit labels: \(listed). Write the file's full path in the drop folder, "
                + "for example \(path.debugQuoted), in the file column of the right line, then drop it in again.")
    }

    static func unlabelled(path: String, layout: LabelLayout, partial: (unit: String?, candidate: String?)?) -> Rejection {
        let name = relativePathComponents(path).last.map(String.init) ?? path
        var message = "This file has no candidate number and unit, so it cannot be uploaded: "
        if let partial, partial.unit != nil || partial.candidate != nil {
            let missing = partial.candidate == nil ? "candidate number" : "unit"
            message += "its folders give only part of the labels, and the \(missing) is missing. "
        } else {
            message += "it is not in the folder layout and not listed in manifest.csv. "
        }
        if let folders = layout.folderDescription, layout.hasUnit, layout.hasCandidate {
            message += "Put it in \(folders), for example \(layout.example(fileName: name)), "
                + "or list it in manifest.csv in the drop folder (columns file,candidate,unit)."
        } else {
            message += "List it in manifest.csv in the drop folder with its candidate number and unit "
                + "(columns file,candidate,unit)."
        }
        return Rejection(code: "unlabelled", message: message)
    }

    static func invalidLabel(field: String, value: String, source: String, problem: String) -> Rejection {
        Rejection(
            code: "invalid-label",
            message: "The \(field) \(value.debugQuoted) from \(source) is not valid: \(problem). "
                + "A \(field) may have 1 to 64 letters, digits, '-', '_', '.' or spaces. "
                + "Correct it, then drop the file in again.")
    }
}
