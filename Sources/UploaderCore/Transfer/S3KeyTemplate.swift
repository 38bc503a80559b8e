/// The object key of a file: `key` with {centre}, {unit}, {candidate} and {file} filled in.
package enum S3KeyTemplate {
    static let defaultTemplate = "{centre}/{unit}/{candidate}/{file}"

    package static func key(_ template: String, centre: String, unit: String, candidate: String, file: String) -> String {
        template.replacing("{centre}", with: centre).replacing("{unit}", with: unit)
            .replacing("{candidate}", with: candidate).replacing("{file}", with: file)
    }

    /// Why a template cannot name objects, or nil.
    package static func problem(_ template: String) -> String? {
        if template.isEmpty { return "is empty" }
        if !template.contains("{file}") { return "has no {file}: every file would get the same key" }
        if template.hasPrefix("/") { return "starts with \"/\"" }
        if template.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "contains control characters" }
        var rest = template
        for placeholder in ["{centre}", "{unit}", "{candidate}", "{file}"] { rest = rest.replacing(placeholder, with: "") }
        if rest.contains("{") || rest.contains("}") { return "has an unknown placeholder; allowed: {centre}, {unit}, {candidate}, {file}" }
        return nil
    }
}
