/// A small LZMA (LZMA1, as 7-Zip packs its headers) decoder after the LZMA SDK's reference
/// `LzmaSpec.cpp`: the whole output is the dictionary, so a known, capped `unpackSize` bounds both
/// memory and work. Total: nil on any malformed input, never a trap.
enum LZMADecoder {
    static func decode(_ input: [UInt8], properties: [UInt8], unpackSize: Int) -> [UInt8]? {
        guard properties.count >= 5, unpackSize >= 0 else { return nil }
        var d = properties[0]
        guard d < 9 * 5 * 5 else { return nil }
        let lc = Int(d % 9); d /= 9
        let lp = Int(d % 5)
        let pb = Int(d / 5)
        guard var state = LZMAState(lc: lc, lp: lp, pb: pb, input: input, unpackSize: unpackSize) else { return nil }
        return state.run()
    }
}

/// LZMA's range decoder; reading past the input's end sets `failed` (and feeds zeros).
private struct RangeDecoder {
    let input: [UInt8]
    var position = 0
    var range: UInt32 = 0xFFFF_FFFF
    var code: UInt32 = 0
    var failed = false

    init?(_ input: [UInt8]) {
        self.input = input
        guard input.count >= 5, input[0] == 0 else { return nil }
        position = 1
        for _ in 0..<4 { code = code << 8 | UInt32(nextByte()) }
        guard code != range else { return nil }
    }

    mutating func nextByte() -> UInt8 {
        guard position < input.count else { failed = true; return 0 }
        defer { position += 1 }
        return input[position]
    }

    mutating func normalize() {
        if range < 1 << 24 {
            range <<= 8
            code = code << 8 | UInt32(nextByte())
        }
    }

    mutating func bit(_ prob: inout UInt16) -> Int {
        let bound = (range >> 11) &* UInt32(prob)
        let result: Int
        if code < bound {
            prob += (2048 - prob) >> 5
            range = bound
            result = 0
        } else {
            prob -= prob >> 5
            code &-= bound
            range &-= bound
            result = 1
        }
        normalize()
        return result
    }

    mutating func directBits(_ count: Int) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<count {
            range >>= 1
            code &-= range
            let t = 0 &- (code >> 31)
            code &+= range & t
            if code == range { failed = true }
            normalize()
            result = result << 1 &+ (t &+ 1)
        }
        return result
    }

    mutating func tree(_ probs: inout [UInt16], base: Int, bits: Int) -> Int {
        var m = 1
        for _ in 0..<bits { m = m << 1 + bit(&probs[base + m]) }
        return m - (1 << bits)
    }

    mutating func reverseTree(_ probs: inout [UInt16], base: Int, bits: Int) -> Int {
        var m = 1
        var symbol = 0
        for i in 0..<bits {
            let b = bit(&probs[base + m])
            m = m << 1 + b
            symbol |= b << i
        }
        return symbol
    }
}

private struct LZMAState {
    static let probInit: UInt16 = 1024
    /// One length coder: choice, choice2, low[16][8], mid[16][8], high[256].
    static let lengthCoderSize = 2 + 128 + 128 + 256
    let lc: Int, lp: Int, pb: Int
    let unpackSize: Int
    var rc: RangeDecoder
    var out: [UInt8] = []

    var literal: [UInt16]
    var isMatch = [UInt16](repeating: probInit, count: 12 << 4)
    var isRep = [UInt16](repeating: probInit, count: 12)
    var isRepG0 = [UInt16](repeating: probInit, count: 12)
    var isRepG1 = [UInt16](repeating: probInit, count: 12)
    var isRepG2 = [UInt16](repeating: probInit, count: 12)
    var isRep0Long = [UInt16](repeating: probInit, count: 12 << 4)
    var posSlot = [UInt16](repeating: probInit, count: 4 << 6)
    var posDecoders = [UInt16](repeating: probInit, count: 1 + 128 - 14)
    var align = [UInt16](repeating: probInit, count: 1 << 4)
    /// The match length coder, then the rep length coder.
    var lengths = [UInt16](repeating: probInit, count: 2 * lengthCoderSize)

    init?(lc: Int, lp: Int, pb: Int, input: [UInt8], unpackSize: Int) {
        guard let rc = RangeDecoder(input) else { return nil }
        self.rc = rc
        self.lc = lc
        self.lp = lp
        self.pb = pb
        self.unpackSize = unpackSize
        literal = [UInt16](repeating: Self.probInit, count: 0x300 << (lc + lp))
        out.reserveCapacity(min(unpackSize, 1 << 20))
    }

    mutating func length(rep: Bool, posState: Int) -> Int {
        let base = rep ? Self.lengthCoderSize : 0
        if rc.bit(&lengths[base]) == 0 { return rc.tree(&lengths, base: base + 2 + posState << 3, bits: 3) }
        if rc.bit(&lengths[base + 1]) == 0 { return 8 + rc.tree(&lengths, base: base + 2 + 128 + posState << 3, bits: 3) }
        return 16 + rc.tree(&lengths, base: base + 2 + 256, bits: 8)
    }

    mutating func distance(length: Int) -> UInt32 {
        let lenState = min(length, 3)
        let slot = rc.tree(&posSlot, base: lenState << 6, bits: 6)
        if slot < 4 { return UInt32(slot) }
        let directCount = (slot >> 1) - 1
        var dist = UInt32(2 | (slot & 1)) << UInt32(directCount)
        if slot < 14 {
            dist &+= UInt32(rc.reverseTree(&posDecoders, base: Int(dist) - slot, bits: directCount))
        } else {
            dist &+= rc.directBits(directCount - 4) << 4
            dist &+= UInt32(rc.reverseTree(&align, base: 0, bits: 4))
        }
        return dist
    }

    mutating func decodeLiteral(state: Int, rep0: UInt32) {
        let previous = out.last.map(Int.init) ?? 0
        let litState = ((out.count & ((1 << lp) - 1)) << lc) + (previous >> (8 - lc))
        let base = 0x300 * litState
        var symbol = 1
        if state >= 7, Int(rep0) < out.count {
            var matchByte = Int(out[out.count - Int(rep0) - 1])
            repeat {
                let matchBit = (matchByte >> 7) & 1
                matchByte <<= 1
                let b = rc.bit(&literal[base + ((1 + matchBit) << 8) + symbol])
                symbol = symbol << 1 | b
                if matchBit != b { break }
            } while symbol < 0x100
        }
        while symbol < 0x100 { symbol = symbol << 1 | rc.bit(&literal[base + symbol]) }
        out.append(UInt8(truncatingIfNeeded: symbol - 0x100))
    }

    mutating func run() -> [UInt8]? {
        var state = 0
        var rep0: UInt32 = 0, rep1: UInt32 = 0, rep2: UInt32 = 0, rep3: UInt32 = 0
        while out.count < unpackSize {
            // A hostile stream that keeps "decoding" past its input is stopped here.
            if rc.failed { return nil }
            let posState = out.count & ((1 << pb) - 1)
            if rc.bit(&isMatch[state << 4 + posState]) == 0 {
                decodeLiteral(state: state, rep0: rep0)
                state = state < 4 ? 0 : (state < 10 ? state - 3 : state - 6)
                continue
            }
            var len: Int
            if rc.bit(&isRep[state]) != 0 {
                guard !out.isEmpty else { return nil }
                if rc.bit(&isRepG0[state]) == 0 {
                    if rc.bit(&isRep0Long[state << 4 + posState]) == 0 {
                        state = state < 7 ? 9 : 11
                        guard Int(rep0) < out.count else { return nil }
                        out.append(out[out.count - Int(rep0) - 1])
                        continue
                    }
                } else {
                    let dist: UInt32
                    if rc.bit(&isRepG1[state]) == 0 {
                        dist = rep1
                    } else {
                        if rc.bit(&isRepG2[state]) == 0 {
                            dist = rep2
                        } else {
                            dist = rep3
                            rep3 = rep2
                        }
                        rep2 = rep1
                    }
                    rep1 = rep0
                    rep0 = dist
                }
                len = length(rep: true, posState: posState)
                state = state < 7 ? 8 : 11
            } else {
                rep3 = rep2
                rep2 = rep1
                rep1 = rep0
                len = length(rep: false, posState: posState)
                state = state < 7 ? 7 : 10
                rep0 = distance(length: len)
                if rep0 == 0xFFFF_FFFF { break }  // end marker
            }
            guard Int(rep0) < out.count else { return nil }
            len += 2
            let copy = min(len, unpackSize - out.count)
            for _ in 0..<copy { out.append(out[out.count - Int(rep0) - 1]) }
        }
        return rc.failed ? nil : out
    }
}
