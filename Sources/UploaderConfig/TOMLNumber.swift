/// TOML integer and float literals: decimal with "_" between digits, 0x/0o/0b integers,
/// fractions, exponents, inf and nan. Overflow is not a number.
enum TOMLNumber {
    static func parse(_ token: String) -> TOMLValue? {
        var chars = Array(token.utf8)
        switch token {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if chars.count > 2 && chars[0] == UInt8(ascii: "0") {
            let radix: Int64?
            switch chars[1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = nil
            }
            if let radix { return integer(Array(chars[2...]), radix: radix, negative: false).map(TOMLValue.integer) }
        }
        var negative = false
        if let first = chars.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            chars.removeFirst()
        }
        // Split into integer part, fraction and exponent and check each.
        var intPart: [UInt8] = []
        var index = 0
        while index < chars.count, chars[index] != UInt8(ascii: "."), chars[index] != UInt8(ascii: "e"), chars[index] != UInt8(ascii: "E") {
            intPart.append(chars[index]); index += 1
        }
        guard digitsValid(intPart) else { return nil }
        if intPart.count > 1 && intPart[0] == UInt8(ascii: "0") { return nil }
        if index == chars.count {
            return integer(intPart, radix: 10, negative: negative).map(TOMLValue.integer)
        }
        if chars[index] == UInt8(ascii: ".") {
            index += 1
            var fraction: [UInt8] = []
            while index < chars.count, chars[index] != UInt8(ascii: "e"), chars[index] != UInt8(ascii: "E") {
                fraction.append(chars[index]); index += 1
            }
            guard digitsValid(fraction) else { return nil }
        }
        if index < chars.count {
            index += 1
            var exponent = Array(chars[index...])
            if let first = exponent.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { exponent.removeFirst() }
            guard digitsValid(exponent) else { return nil }
        }
        let cleaned = String(decoding: chars.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let value = Double(cleaned), value.isFinite else { return nil }
        return .float(negative ? -value : value)
    }

    /// Non-empty digits, "_" only between two digits.
    static func digitsValid(_ digits: [UInt8], radix: Int64 = 10) -> Bool {
        guard let first = digits.first, let last = digits.last,
              first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return false }
        var previousUnderscore = false
        for d in digits {
            if d == UInt8(ascii: "_") {
                if previousUnderscore { return false }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard digitValue(d).map({ $0 < radix }) == true else { return false }
        }
        return true
    }

    static func digitValue(_ d: UInt8) -> Int64? {
        switch d {
        case 0x30...0x39: return Int64(d - 0x30)
        case 0x41...0x46: return Int64(d - 0x41 + 10)
        case 0x61...0x66: return Int64(d - 0x61 + 10)
        default: return nil
        }
    }

    static func integer(_ digits: [UInt8], radix: Int64, negative: Bool) -> Int64? {
        guard digitsValid(digits, radix: radix) else { return nil }
        var value: Int64 = 0
        for d in digits where d != UInt8(ascii: "_") {
            guard let v = digitValue(d) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(v) : shifted.addingReportingOverflow(v)
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    static func looksLikeDate(_ token: String) -> Bool {
        let b = Array(token.utf8)
        if token.contains(":") { return true }
        return b.count >= 5 && b[0...3].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && b[4] == UInt8(ascii: "-")
    }
}
