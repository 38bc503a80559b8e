/// "2.5" followed by a unit: the exact decimal number and the unit text, and exact
/// scaling by a unit's multiplier with overflow and "not whole" detected. No floating point.
struct DecimalQuantity {
    var whole: Int64
    /// Fraction digits as an integer with trailing zeros removed, and how many digits it has.
    var fraction: Int64
    var fractionDigits: Int
    var unit: Substring

    static let maxFractionDigits = 18

    enum Failure: Error { case empty, notANumber, negative, tooPrecise, overflow }

    /// Digits, optionally "." and digits, an optional single space, then the unit.
    static func split(_ text: String) -> Result<DecimalQuantity, Failure> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return .failure(.empty) }
        if bytes[0] == UInt8(ascii: "-") { return .failure(.negative) }
        var index = 0
        var whole: Int64 = 0
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        while index < bytes.count, isDigit(bytes[index]) {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[index] - 0x30))
            if o1 || o2 { return .failure(.overflow) }
            whole = a
            index += 1
        }
        guard index > 0 else { return .failure(.notANumber) }
        var digits: [UInt8] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { digits.append(bytes[index]); index += 1 }
            guard !digits.isEmpty else { return .failure(.notANumber) }
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        guard digits.count <= maxFractionDigits else { return .failure(.tooPrecise) }
        var fraction: Int64 = 0
        for d in digits { fraction = fraction * 10 + Int64(d - 0x30) }
        if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        let unitStart = text.utf8.index(text.utf8.startIndex, offsetBy: index)
        let unit = text[unitStart...]
        return .success(DecimalQuantity(whole: whole, fraction: fraction, fractionDigits: digits.count, unit: unit))
    }

    enum ScaleFailure: Error { case overflow, notWhole }

    /// whole.fraction × multiplier, exactly.
    func scaled(by multiplier: Int64) -> Result<Int64, ScaleFailure> {
        let (base, o1) = whole.multipliedReportingOverflow(by: multiplier)
        if o1 { return .failure(.overflow) }
        guard fraction != 0 else { return .success(base) }
        var denominator: Int64 = 1
        for _ in 0..<fractionDigits { denominator *= 10 }
        let g = DecimalQuantity.gcd(multiplier, denominator)
        let reducedDenominator = denominator / g
        guard fraction % reducedDenominator == 0 else { return .failure(.notWhole) }
        let (part, o2) = (fraction / reducedDenominator).multipliedReportingOverflow(by: multiplier / g)
        let (sum, o3) = base.addingReportingOverflow(part)
        if o2 || o3 { return .failure(.overflow) }
        return .success(sum)
    }

    /// `value / unit` written exactly in decimal, or nil when it needs more than `maxFractionDigits`.
    static func format(_ value: Int64, unit: Int64) -> String? {
        let whole = value / unit
        var remainder = value % unit
        guard remainder != 0 else { return String(whole) }
        var digits = ""
        while remainder != 0 {
            guard digits.count < maxFractionDigits else { return nil }
            let (r10, overflow) = remainder.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            digits.append(Character(String(r10 / unit)))
            remainder = r10 % unit
        }
        return "\(whole).\(digits)"
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
