@testable import EvidenceUploaderKit
import Testing
@testable import UploaderCore

/// A step: observe (path, size, mtime) at time t, or ask what is ready at time t.
private enum Step: CustomStringConvertible {
    case see(String, Int64, Int64, at: Double)
    case gone(String)
    case ready(at: Double, [String])
    case writing(at: Double, [String])

    var description: String {
        switch self {
        case let .see(p, s, m, t): return "see \(p) \(s) \(m) @\(t)"
        case let .gone(p): return "gone \(p)"
        case let .ready(t, e): return "ready@\(t) == \(e)"
        case let .writing(t, e): return "writing@\(t) == \(e)"
        }
    }
}

private let settlerCases: [(String, [Step])] = [
    ("a file unchanged for the settle time is ready", [
        .see("a", 10, 1, at: 0), .ready(at: 9.9, []), .see("a", 10, 1, at: 5), .ready(at: 10, ["a"]),
    ]),
    ("a growing file is never ready while it grows", [
        .see("a", 10, 1, at: 0), .see("a", 20, 2, at: 5), .ready(at: 10, []), .writing(at: 10, ["a"]),
        .see("a", 30, 3, at: 14), .ready(at: 20, []), .ready(at: 24, ["a"]), .writing(at: 24, []),
    ]),
    ("an mtime change alone restarts the wait", [
        .see("a", 10, 1, at: 0), .see("a", 10, 2, at: 8), .ready(at: 10, []), .ready(at: 18, ["a"]),
    ]),
    ("oldest first, then by name", [
        .see("b", 1, 1, at: 0), .see("a", 1, 1, at: 1), .see("c", 1, 1, at: 1), .ready(at: 20, ["b", "a", "c"]),
    ]),
    ("a forgotten file is not ready", [
        .see("a", 1, 1, at: 0), .gone("a"), .ready(at: 20, []),
    ]),
    ("a file first seen unchanged is not 'still being written'", [
        .see("a", 1, 1, at: 0), .writing(at: 1, []),
    ]),
]

@Test("Settler", arguments: settlerCases)
private func settler(_ name: String, _ steps: [Step]) {
    var settler = Settler(settleTime: .seconds(10))
    for step in steps {
        switch step {
        case let .see(path, size, mtime, now): settler.observe(path, size: size, modified: mtime, now: .seconds(now))
        case let .gone(path): settler.forget(path)
        case let .ready(now, expected): #expect(settler.ready(now: .seconds(now)) == expected, "\(name): \(step)")
        case let .writing(now, expected): #expect(settler.stillBeingWritten(now: .seconds(now)) == expected, "\(name): \(step)")
        }
    }
}

@Test func settleTimeZeroMakesEverythingReadyAtOnce() {
    var settler = Settler(settleTime: .zero)
    settler.observe("x", size: 1, modified: 1, now: .seconds(5))
    #expect(settler.ready(now: .seconds(5)) == ["x"])
    #expect(settler.nextReadyTime() == .seconds(5))
}
