import Testing
import UploaderCore

/// The item machine as tables: one lifecycle path per test, each row an event and the exact
/// actions it must produce (the first row, with no event, is `start()`). No file, no journal,
/// no portal, no clock.
private typealias Row = (event: ItemMachine.Event?, actions: [ItemMachine.Action])

private func run(_ machine: inout ItemMachine, _ rows: [Row], sourceLocation: SourceLocation = #_sourceLocation) {
    for (index, row) in rows.enumerated() {
        let actions = row.event.map { machine.handle($0) } ?? machine.start()
        #expect(actions == row.actions, "row \(index + 1): \(row.event.map { "\($0)" } ?? "start")", sourceLocation: sourceLocation)
    }
}

private let id: UInt64 = 7
private let sha = "5ha"
private let url = "https://portal.example.org/files/u1"
private let place = "8711-305/0042/wall.mp4"
private let gone = "the file is no longer in the drop folder"
private let changed = "the file changed during its upload"

private func item(sha256: String? = nil, uploadURL: String? = nil, delivered: Bool = false, size: Int64 = 1000) -> ItemMachine.Item {
    ItemMachine.Item(id: id, device: 1, inode: 100, size: size, modified: 5, sha256: sha256, uploadURL: uploadURL, isDelivered: delivered)
}

private func opened(size: Int64 = 1000, inode: UInt64 = 100, name: String = "wall.mp4") -> ItemMachine.Event {
    .opened(.init(device: 1, inode: inode, size: size, modified: 5, fileName: name))
}

private func upload(resumeURL: String? = nil) -> ItemMachine.Action {
    .upload(.init(fileName: "wall.mp4", length: 1000, sha256: sha, resumeURL: resumeURL, sendsCopy: false))
}

/// Rows from the start of a hashed item up to its upload.
private let upToUpload: [Row] = [
    (nil, [.open]),
    (opened(), [.findDuplicate(sha256: sha)]),
    (.duplicate(nil), [.claimOrphan(fileName: "wall.mp4", length: 1000, sha256: sha)]),
    (.orphan(nil), [upload()]),
]

/// The end of a delivery that was uploaded: moved with its receipt, recorded.
private let movedAndRecorded: [Row] = [
    (.moved(to: place), [.record(.moved(destination: place))]),
    (.recorded, [.tell(.movedToUploaded(place)), .end(.delivered(place))]),
]

@Suite("Item machine")
struct ItemMachineTests {
    @Test("a fresh file: hashed once, looked up, uploaded, delivered, moved with its receipt")
    func freshFile() {
        var m = ItemMachine(item: item())
        run(&m, [
            (nil, [.open]),
            (opened(), [.hash]),
            (.hashed(sha256: sha, took: .seconds(2)), [.record(.hashed(sha256: sha))]),
            (.recorded, [.tell(.hashed(sha256: sha, took: .seconds(2))), .findDuplicate(sha256: sha)]),
            (.duplicate(nil), [.claimOrphan(fileName: "wall.mp4", length: 1000, sha256: sha)]),
            (.orphan(nil), [upload()]),
            (.uploaded(.init(url: url, took: .seconds(4))), [.record(.delivered)]),
            (.recorded, [.tell(.delivered(url: url, took: .seconds(4), sentBytes: 1000, resumedFrom: 0)),
                         .move(.init(sha256: sha, uploadURL: url, took: .seconds(4)))]),
        ] + movedAndRecorded)
        #expect(!m.endedByTransferFailure)
    }

    @Test("a known upload resumes at its URL; only what was sent counts for the rate")
    func resumes() {
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url))
        run(&m, [
            (nil, [.open]),
            (opened(), [.findDuplicate(sha256: sha)]),
            (.duplicate(nil), [upload(resumeURL: url)]),
            (.uploaded(.init(url: url, resumedFrom: 600, took: .seconds(1))), [.record(.delivered)]),
            (.recorded, [.tell(.delivered(url: url, took: .seconds(1), sentBytes: 400, resumedFrom: 600)),
                         .move(.init(sha256: sha, uploadURL: url, took: .seconds(1)))]),
        ] + movedAndRecorded)
    }

    @Test("delivered but not moved (a crash after the portal confirmed): moved now, never sent again")
    func deliveredNotMoved() {
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&m, [
            (nil, [.statDrop]),
            (.dropStatted(.init(device: 1, inode: 100)),
             [.tell(.finishingInterruptedDelivery), .move(.init(sha256: sha, uploadURL: url))]),
        ] + movedAndRecorded)
    }

    @Test("moved but its record lost: found in uploaded/ by inode, receipt written, recorded")
    func movedRecordLost() {
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&m, [
            (nil, [.statDrop]),
            (.dropStatted(.init(device: 1, inode: 999)), [.findMoved]),
            (.foundMoved(place), [.writeReceipt(at: place, .init(sha256: sha, uploadURL: url))]),
            (.receiptWritten, [.record(.moved(destination: place))]),
            (.recorded, [.end(.delivered(place))]),
        ])
    }

    @Test("delivered, but the file is nowhere: dropped, its upload withdrawn")
    func deliveredAndGone() {
        let reason = "delivered, but the file is no longer in the drop folder"
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&m, [
            (nil, [.statDrop]),
            (.dropStatted(nil), [.findMoved]),
            (.foundMoved(nil), [.tell(.dropping(reason: reason)), .withdraw(url: url)]),
            (.withdrawn, [.record(.abandoned(reason: reason))]),
            (.recorded, [.end(.superseded(reason))]),
        ])
    }

    @Test("a torn journal tail: gone, but in uploaded/ and whole on the portal: recorded delivered, then finished")
    func tornTail() {
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url))
        run(&m, [
            (nil, [.open]),
            (.gone, [.findMoved]),
            (.foundMoved(place), [.askPortalHoldsAll(url: url, length: 1000)]),
            (.portalHoldsAll(true), [.record(.delivered)]),
            (.recorded, [.statDrop]),
            (.dropStatted(nil), [.findMoved]),
            (.foundMoved(place), [.writeReceipt(at: place, .init(sha256: sha, uploadURL: url))]),
            (.receiptWritten, [.record(.moved(destination: place))]),
            (.recorded, [.end(.delivered(place))]),
        ])
    }

    @Test("file gone with no upload: dropped")
    func goneNoUpload() {
        var m = ItemMachine(item: item())
        run(&m, [
            (nil, [.open]),
            (.gone, [.tell(.dropping(reason: gone)), .record(.abandoned(reason: gone))]),
            (.recorded, [.end(.superseded(gone))]),
        ])
    }

    @Test("file gone, not in uploaded/: a complete upload is kept on the portal, an incomplete one withdrawn")
    func goneWithUpload() {
        var keeps = ItemMachine(item: item(sha256: sha, uploadURL: url))
        run(&keeps, [
            (nil, [.open]),
            (.gone, [.findMoved]),
            (.foundMoved(nil), [.tell(.dropping(reason: gone)), .askPortalHoldsAll(url: url, length: 1000)]),
            (.portalHoldsAll(true), [.tell(.portalKeepsUpload(url: url)), .record(.abandoned(reason: gone))]),
            (.recorded, [.end(.superseded(gone))]),
        ])
        var withdraws = ItemMachine(item: item(sha256: sha, uploadURL: url))
        run(&withdraws, [
            (nil, [.open]),
            (.gone, [.findMoved]),
            (.foundMoved(place), [.askPortalHoldsAll(url: url, length: 1000)]),
            (.portalHoldsAll(false), [.tell(.dropping(reason: gone)), .askPortalHoldsAll(url: url, length: 1000)]),
            (.portalHoldsAll(false), [.withdraw(url: url)]),
            (.withdrawn, [.record(.abandoned(reason: gone))]),
            (.recorded, [.end(.superseded(gone))]),
        ])
    }

    @Test("file changed before its upload: dropped, its upload withdrawn")
    func changedBefore() {
        let reason = "the file changed since it was queued"
        var m = ItemMachine(item: item(sha256: sha, uploadURL: url))
        run(&m, [
            (nil, [.open]),
            (opened(size: 1001), [.tell(.dropping(reason: reason)), .withdraw(url: url)]),
            (.withdrawn, [.record(.abandoned(reason: reason))]),
            (.recorded, [.end(.superseded(reason))]),
        ])
    }

    @Test("file changed during its upload (after the last byte, or caught by the transport): the mixed upload is withdrawn")
    func changedDuring() {
        var afterLastByte = ItemMachine(item: item(sha256: sha))
        run(&afterLastByte, upToUpload + [
            (.uploaded(.init(url: url, unchanged: false)),
             [.tell(.fileChangedDuringUpload), .tell(.dropping(reason: changed)), .withdraw(url: url)]),
            (.withdrawn, [.record(.abandoned(reason: changed))]),
            (.recorded, [.end(.superseded(changed))]),
        ])
        var caught = ItemMachine(item: item(sha256: sha))
        run(&caught, upToUpload + [
            (.uploadFailed(.fileChanged, .init(knownURL: url)),
             [.tell(.fileChangedDuringUpload), .tell(.dropping(reason: changed)), .withdraw(url: url)]),
        ])
        var failedAndChanged = ItemMachine(item: item(sha256: sha))
        run(&failedAndChanged, upToUpload + [
            (.uploadFailed(.retryable("reset"), .init(unchanged: false, knownURL: nil)),
             [.tell(.fileChangedDuringUpload), .tell(.dropping(reason: changed)), .record(.abandoned(reason: changed))]),
        ])
        #expect(!failedAndChanged.endedByTransferFailure)
    }

    @Test("the same content and labels delivered before: not sent again, moved with a receipt that says so")
    func duplicate() {
        var m = ItemMachine(item: item(sha256: sha))
        run(&m, [
            (nil, [.open]),
            (opened(), [.findDuplicate(sha256: sha)]),
            (.duplicate(.init(id: 3, name: "8711-305/0042/old.mp4", uploadURL: "u0")),
             [.tell(.duplicate(earlier: "8711-305/0042/old.mp4")),
              .move(.init(sha256: sha, uploadURL: "u0", duplicateOf: "8711-305/0042/old.mp4"))]),
            (.moved(to: place), [.record(.moved(destination: place))]),
            (.recorded, [.tell(.movedToUploaded(place)), .end(.duplicate(place))]),
        ])
        var itself = ItemMachine(item: item(sha256: sha))
        run(&itself, [
            (nil, [.open]),
            (opened(), [.findDuplicate(sha256: sha)]),
            (.duplicate(.init(id: id, name: place, uploadURL: nil)), [.claimOrphan(fileName: "wall.mp4", length: 1000, sha256: sha)]),
        ])
    }

    @Test("an orphan upload the portal holds is claimed, recorded, and continued")
    func orphanClaimed() {
        var m = ItemMachine(item: item(sha256: sha))
        run(&m, Array(upToUpload.dropLast()) + [
            (.orphan(.init(url: "u9", offset: 400)), [.record(.created(uploadURL: "u9"))]),
            (.recorded, [.tell(.continuingOrphan(url: "u9", offset: 400)), upload(resumeURL: "u9")]),
        ])
    }

    @Test("upload failures, classified once: 401 pauses, transient retries, too large rejects, the rest waits for retry")
    func uploadFailures() {
        let rows: [(ItemMachine.UploadFailure, [ItemMachine.Action])] = [
            (.unauthorized("refused (401)"), [.tell(.unauthorized("refused (401)")), .end(.unauthorized("refused (401)"))]),
            (.retryable("reset"), [.tell(.willRetry("reset")), .end(.failed("reset", permanent: false))]),
            (.untrustedLocation("elsewhere"), [.tell(.untrustedLocation("elsewhere")), .end(.failed("elsewhere", permanent: true))]),
            (.refused("refused (400)"), [.tell(.uploadFailed("refused (400)")), .end(.failed("refused (400)", permanent: true))]),
            (.tooLarge("over 1 GB"), [.reject(.portalTooLarge("over 1 GB"))]),
            (.stopped, [.end(.stopped)]),
        ]
        for (failure, actions) in rows {
            var m = ItemMachine(item: item(sha256: sha))
            run(&m, upToUpload + [(.uploadFailed(failure, .init()), actions)])
            #expect(m.endedByTransferFailure, "\(failure)")
        }
        var notMoved = ItemMachine(item: item(sha256: sha))
        run(&notMoved, upToUpload + [
            (.uploadFailed(.tooLarge("over 1 GB"), .init()), [.reject(.portalTooLarge("over 1 GB"))]),
            (.rejectionFiled(moved: false, code: "portal-too-large", message: "The portal will not accept..."),
             [.end(.failed("over 1 GB", permanent: true))]),
        ])
    }

    @Test("a journal that cannot be written ends the delivery as a journal failure, wherever it happens")
    func journalFails() {
        let broken = ItemMachine.Failure(.journal, "cannot write the journal")
        var atHash = ItemMachine(item: item())
        run(&atHash, [
            (nil, [.open]),
            (opened(), [.hash]),
            (.hashed(sha256: sha, took: .seconds(1)), [.record(.hashed(sha256: sha))]),
            (.failed(broken), [.end(.journalFailure("cannot write the journal"))]),
        ])
        var duringUpload = ItemMachine(item: item(sha256: sha))
        run(&duringUpload, upToUpload + [
            (.uploadFailed(.refused("not recorded"), .init(recording: broken)), [.end(.journalFailure("cannot write the journal"))]),
        ])
        #expect(!duringUpload.endedByTransferFailure)
        var atMove = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&atMove, [
            (nil, [.statDrop]),
            (.dropStatted(.init(device: 1, inode: 100)), [.tell(.finishingInterruptedDelivery), .move(.init(sha256: sha, uploadURL: url))]),
            (.moved(to: place), [.record(.moved(destination: place))]),
            (.failed(broken), [.end(.journalFailure("cannot write the journal"))]),
        ])
    }

    @Test("a full state folder holds this item for now: a failure tried again later")
    func stateFolderFull() {
        let full = ItemMachine.Failure(.stateFull, "no space")
        var m = ItemMachine(item: item(sha256: sha))
        run(&m, Array(upToUpload.dropLast()) + [
            (.orphan(.init(url: "u9", offset: 0)), [.record(.created(uploadURL: "u9"))]),
            (.failed(full), [.tell(.stateFolderFull("no space")), .end(.failed("no space", permanent: false))]),
        ])
    }

    @Test("local failures: hashing fails or is stopped, the move fails, the receipt cannot be written")
    func localFailures() {
        var hashFails = ItemMachine(item: item())
        run(&hashFails, [
            (nil, [.open]), (opened(), [.hash]),
            (.failed(.init(.other, "EIO")), [.tell(.cannotHash("EIO")), .end(.failed("EIO", permanent: false))]),
        ])
        var stopped = ItemMachine(item: item())
        run(&stopped, [(nil, [.open]), (opened(), [.hash]), (.stopped, [.end(.stopped)])])
        var moveFails = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&moveFails, [
            (nil, [.statDrop]),
            (.dropStatted(.init(device: 1, inode: 100)), [.tell(.finishingInterruptedDelivery), .move(.init(sha256: sha, uploadURL: url))]),
            (.failed(.init(.other, "EXDEV")), [.tell(.notMoved("EXDEV")), .end(.failed("EXDEV", permanent: false))]),
        ])
        var receiptFails = ItemMachine(item: item(sha256: sha, uploadURL: url, delivered: true))
        run(&receiptFails, [
            (nil, [.statDrop]), (.dropStatted(nil), [.findMoved]),
            (.foundMoved(place), [.writeReceipt(at: place, .init(sha256: sha, uploadURL: url))]),
            (.failed(.init(.other, "EROFS")), [.tell(.receiptNotWritten("EROFS")), .end(.failed("EROFS", permanent: false))]),
        ])
    }

    @Test("an oversize video: compressed and the copy sent under the original's name as MP4, kept beside it")
    func compressed() {
        let oversize = ItemMachine.Oversize(isOver: true, compresses: true, toolsInstalled: true)
        var m = ItemMachine(item: item(sha256: sha), oversize: oversize)
        let copyUpload = ItemMachine.Upload(fileName: "wall.mp4", length: 300, sha256: "c0py", resumeURL: nil, sendsCopy: true)
        run(&m, [
            (nil, [.open]),
            (opened(name: "wall.mov"), [.findDuplicate(sha256: sha)]),
            (.duplicate(nil), [.compress]),
            (.compressed(.init(size: 300, sha256: "c0py")), [.claimOrphan(fileName: "wall.mp4", length: 300, sha256: "c0py")]),
            (.orphan(nil), [.upload(copyUpload)]),
            (.uploaded(.init(url: url, took: .seconds(1))), [.record(.delivered)]),
            (.recorded, [.tell(.delivered(url: url, took: .seconds(1), sentBytes: 300, resumedFrom: 0)),
                         .move(.init(sha256: sha, uploadURL: url, took: .seconds(1)))]),
            (.moved(to: place), [.keepCompressedCopy(originalAt: place)]),
            (.copyKept, [.record(.moved(destination: place))]),
            (.recorded, [.tell(.movedToUploaded(place)), .end(.delivered(place))]),
        ])
    }

    @Test("an oversize video that cannot be compressed: rejected as usual (said when ffmpeg is missing), or kept for later")
    func notCompressed() {
        let rows: [(ItemMachine.Oversize, [ItemMachine.Action])] = [
            (.init(isOver: true, compresses: true, toolsInstalled: false), [.tell(.compressionToolsMissing), .reject(.videoTooLarge)]),
            (.init(isOver: true, compresses: false, toolsInstalled: true), [.reject(.videoTooLarge)]),
        ]
        for (oversize, actions) in rows {
            var m = ItemMachine(item: item(sha256: sha), oversize: oversize)
            run(&m, [
                (nil, [.open]), (opened(), [.findDuplicate(sha256: sha)]), (.duplicate(nil), actions),
                (.rejectionFiled(moved: true, code: "video-too-large", message: "too large"), [.end(.rejected("video-too-large"))]),
            ])
        }
        var refused = ItemMachine(item: item(sha256: sha), oversize: .init(isOver: true, compresses: true, toolsInstalled: true))
        run(&refused, [
            (nil, [.open]), (opened(), [.findDuplicate(sha256: sha)]), (.duplicate(nil), [.compress]),
            (.compressionRefused(code: "video-too-long", message: "split it"), [.reject(.refused(code: "video-too-long", message: "split it"))]),
            (.rejectionFiled(moved: false, code: "video-too-long", message: "split it"), [.end(.failed("split it", permanent: true))]),
        ])
        var failing = ItemMachine(item: item(sha256: sha), oversize: .init(isOver: true, compresses: true, toolsInstalled: true))
        run(&failing, [
            (nil, [.open]), (opened(), [.findDuplicate(sha256: sha)]), (.duplicate(nil), [.compress]),
            (.compressionFailed(.init(.other, "ffmpeg crashed"), permanent: true),
             [.tell(.cannotCompress("ffmpeg crashed")), .end(.failed("ffmpeg crashed", permanent: true))]),
        ])
    }

    @Test("an event the step does not expect ends the delivery as a failure tried again later")
    func outOfOrder() {
        var m = ItemMachine(item: item())
        _ = m.start()
        let actions = m.handle(.recorded)
        guard case let .end(.failed(_, permanent))? = actions.last else {
            Issue.record("expected an end, got \(actions)")
            return
        }
        #expect(actions.count == 1 && !permanent)
    }
}
