import Testing
import UploaderCore

/// The admission machine as a table: one row per path a settled file can take into the queue
/// (or not), each a list of steps: an event and the exact actions it must produce (the first
/// step, with no event, is `start()`). No file, no journal, no clock.
private typealias Step = (event: AdmissionMachine.Event?, actions: [AdmissionMachine.Action])

struct AdmissionPath: Sendable, CustomTestStringConvertible {
    let name: String
    var active: Set<UInt64> = []
    fileprivate let steps: [Step]
    var testDescription: String { name }
}

private let file = AdmissionMachine.File(device: 1, inode: 100, size: 1000, modified: 5)
private let unsafe = AdmissionMachine.Rejection(code: "symlink", message: "a link, not a file")
private let tooLarge = AdmissionMachine.Rejection(code: "too-large", message: "over the limit")
private let full = AdmissionMachine.Failure(.stateFull, "no space left in the state folder")
private let broken = AdmissionMachine.Failure(.journal, "cannot write the journal")

/// Opened, nobody writing it: the journal is asked about the path.
private let opened: [Step] = [
    (nil, [.open]),
    (.opened(file), [.checkWriters]),
    (.writers(false), [.findQueued]),
]

/// Nothing queued at the path: examined.
private let examined: [Step] = opened + [(.queued(nil), [.examine])]

/// A different file queued at the same path (item 3): the old item is abandoned first.
private let replacing: [Step] = opened + [
    (.queued(.init(id: 3, file: .init(device: 1, inode: 99, size: 1000, modified: 5))),
     [.record(.abandoned(id: 3, reason: AdmissionMachine.replacedReason))]),
]

private let paths: [AdmissionPath] = [
    .init(name: "unsafe to open: rejected, whatever is at the path", steps: [
        (nil, [.open]),
        (.refused(unsafe), [.reject(unsafe, opened: nil)]),
        (.rejectionFiled(moved: true), [.end(.rejected)]),
    ]),
    .init(name: "unsafe to open, and rejected/ refuses it: deferred", steps: [
        (nil, [.open]),
        (.refused(unsafe), [.reject(unsafe, opened: nil)]),
        (.rejectionFiled(moved: false), [.end(.deferred("could not move it to rejected/"))]),
    ]),
    .init(name: "cannot be opened for a passing reason: deferred with the system's words", steps: [
        (nil, [.open]),
        (.failed(.init(.other, "stat: no such file")), [.end(.deferred("stat: no such file"))]),
    ]),
    .init(name: "still open for writing elsewhere: deferred", steps: [
        (nil, [.open]),
        (.opened(file), [.checkWriters]),
        (.writers(true), [.end(.deferred("still open for writing"))]),
    ]),
    .init(name: "an earlier version is being uploaded now: deferred, the item untouched", active: [3], steps: opened + [
        (.queued(.init(id: 3, file: .init(device: 1, inode: 99, size: 1000, modified: 5))),
         [.end(.deferred("its earlier version is being uploaded"))]),
    ]),
    .init(name: "the same file is queued already: not queued twice", steps: opened + [
        (.queued(.init(id: 3, file: file)), [.end(.alreadyQueued(3))]),
    ]),
    .init(name: "the same file, busy on a transfer thread: deferred", active: [3], steps: opened + [
        (.queued(.init(id: 3, file: file)), [.end(.deferred("its earlier version is being uploaded"))]),
    ]),
    .init(name: "replaced under the same name: the old item abandoned, the new one queued", steps: replacing + [
        (.recorded(3), [.tell(.replaced), .examine]),
        (.accepted, [.record(.discovered(file))]),
        (.recorded(4), [.tell(.accepted(id: 4)), .end(.queued(4))]),
    ]),
    .init(name: "replaced, but the abandonment cannot be recorded (state full): the new file waits", steps: replacing + [
        (.failed(full), [.end(.stateFull(full.message))]),
    ]),
    .init(name: "replaced, but the journal fails: a journal failure", steps: replacing + [
        (.failed(broken), [.tell(.cannotRecord(broken.message)), .end(.journalFailure(broken.message))]),
    ]),
    .init(name: "examined and refused: rejected, only the file that was opened", steps: examined + [
        (.refused(tooLarge), [.reject(tooLarge, opened: file)]),
        (.rejectionFiled(moved: true), [.end(.rejected)]),
    ]),
    .init(name: "examined and refused, and rejected/ refuses it: deferred", steps: examined + [
        (.refused(tooLarge), [.reject(tooLarge, opened: file)]),
        (.rejectionFiled(moved: false), [.end(.deferred("could not move it to rejected/"))]),
    ]),
    .init(name: "examining fails (a read, ffprobe): deferred", steps: examined + [
        (.failed(.init(.other, "cannot read it")), [.end(.deferred("cannot read it"))]),
    ]),
    .init(name: "accepted: discovered, queued", steps: examined + [
        (.accepted, [.record(.discovered(file))]),
        (.recorded(7), [.tell(.accepted(id: 7)), .end(.queued(7))]),
    ]),
    .init(name: "accepted, the state folder is full: state full, nothing said", steps: examined + [
        (.accepted, [.record(.discovered(file))]),
        (.failed(full), [.end(.stateFull(full.message))]),
    ]),
    .init(name: "accepted, the journal fails: said, and a journal failure", steps: examined + [
        (.accepted, [.record(.discovered(file))]),
        (.failed(broken), [.tell(.cannotRecord(broken.message)), .end(.journalFailure(broken.message))]),
    ]),
]

@Suite("Admission machine")
struct AdmissionTests {
    @Test("each path into the queue", arguments: paths)
    func path(_ path: AdmissionPath) {
        var machine = AdmissionMachine(active: path.active)
        for (index, step) in path.steps.enumerated() {
            let actions = step.event.map { machine.handle($0) } ?? machine.start()
            #expect(actions == step.actions, "step \(index + 1): \(step.event.map { "\($0)" } ?? "start")")
        }
    }

    @Test("an event out of order ends it deferred: the file is looked at again later")
    func outOfOrder() {
        var machine = AdmissionMachine()
        _ = machine.start()
        guard case let .end(.deferred(reason)) = machine.handle(.accepted).last else {
            Issue.record("expected a deferral")
            return
        }
        #expect(reason.contains("out of order"))
    }
}
