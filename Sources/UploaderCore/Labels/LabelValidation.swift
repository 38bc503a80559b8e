/// What a candidate number or unit may look like: 1-64 characters of ASCII letters, digits, '-',
/// '_', '.' and ' ', no leading or trailing space, not "." or "..". Returns why not, or nil.
func labelProblem(_ value: String) -> String? {
    let scalars = value.unicodeScalars
    if scalars.isEmpty { return "it is empty" }
    if scalars.count > 64 { return "it is longer than 64 characters" }
    if value == "." || value == ".." { return "it is only dots" }
    if scalars.first == " " || scalars.last == " " { return "it starts or ends with a space" }
    let allowed: (Unicode.Scalar) -> Bool = { scalar in
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", " ": return true
        default: return false
        }
    }
    if let bad = scalars.first(where: { !allowed($0) }) {
        return "it contains \(String(bad).debugQuoted), but only letters, digits, '-', '_', '.' and spaces are allowed"
    }
    return nil
}
