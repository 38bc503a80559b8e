import Logging
import UploaderConfig
import UploaderCore
import UploaderCurl
import UploaderJournal
import UploaderSystem

/// What every stage of a file's journey shares: the config, the drop folder, the journal, the
/// status board, each destination's portal (behind its transport) and the stop signal. Built
/// once per run (and again on reload).
final class Pipeline: Sendable {
    /// One awarding body's portal at run time.
    struct Portal: Sendable {
        let http: HTTPClientSettings
        let transport: any UploadTransport
        /// The origin of its creation URL, under which learned request limits are kept.
        let origin: Origin?
    }

    let config: Config
    let drop: DropFolder
    let journal: Journal
    let board: StatusBoard
    let examiner: Examiner
    /// By destination name ("" without destinations).
    let portals: [String: Portal]
    let retry: RetryPolicy
    let stop: StopSignal
    let logger: Logger
    let uploaded: FolderMover
    let rejected: FolderMover
    let orphans: OrphanUploads
    /// What each portal was found to refuse per request; shared across reloads.
    let requestLimits: RequestSizeLimits

    init(config: Config, passwords: PortalPasswords, drop: DropFolder, manifests: [String: Manifest], journal: Journal,
         board: StatusBoard, rateLimiter: RateLimiter, requestLimits: RequestSizeLimits, retry: RetryPolicy,
         stop: StopSignal, logger: Logger, orphans: OrphanUploads = OrphanUploads()) throws(EvidenceError) {
        self.config = config
        self.drop = drop
        self.journal = journal
        self.board = board
        self.examiner = try Examiner(config: config, manifests: manifests)
        var portals: [String: Portal] = [:]
        for destination in config.destinations {
            let http = HTTPClientSettings(destination: destination, password: passwords[destination.name],
                                          transfer: config.transfer, rateLimiter: rateLimiter, stop: stop)
            portals[destination.name] = Self.portal(destination, http: http)
        }
        self.portals = portals
        self.retry = retry
        self.stop = stop
        self.logger = logger
        // Moves into uploaded/ are synced many at a time: the journal holds their `moved`
        // records until then (`RunSession` opens it with this folder).
        self.uploaded = FolderMover(destinationRoot: config.folders.uploaded, durability: .syncedLater)
        self.rejected = FolderMover(destinationRoot: config.folders.rejected)
        self.orphans = orphans
        self.requestLimits = requestLimits
        for warning in config.compressionWarnings { logger.warning("\(warning)") }
    }

    /// A destination's transport: tus, or S3 multipart (signed with SigV4, and sent only to the
    /// bucket's own origin: the endpoint, or bucket.host on AWS).
    private static func portal(_ destination: Config.Destination, http: HTTPClientSettings) -> Portal {
        switch destination.transferProtocol {
        case .tus:
            return Portal(http: http, transport: TusTransport(settings: http),
                          origin: ParsedURL.parse(destination.portal.url)?.origin)
        case .s3:
            let portal = destination.portal
            let location = S3Location(endpoint: portal.url, bucket: portal.bucket)
            var s3http = http
            s3http.origins = OriginPolicy(portal: Set([location.origin].compactMap { $0 }))
            s3http.username = portal.accessKeyID
            s3http.awsSigV4 = "aws:amz:\(portal.region):s3"
            let settings = S3Settings(location: location, keyTemplate: portal.key, partSize: portal.partSize.bytes)
            return Portal(http: s3http, transport: S3Transport(settings: s3http, s3: settings), origin: location.origin)
        }
    }

    /// The portal of a destination; the first one for a name the config no longer has (an item
    /// journalled before a destination was renamed goes on where the config says now).
    func portal(for destination: String) -> Portal {
        portals[destination] ?? portals[config.destinations[0].name]!
    }

    /// A file whose name is not valid UTF-8 cannot be labelled or named on the portal: it goes
    /// to rejected/ under a readable version of its name, with the reason.
    func rejectUnreadableName(_ entry: DropFolder.UnreadableName) -> Bool {
        let rejection = Rejection(code: "unreadable-name", message: "This file's name is not valid text: it contains characters that are not UTF-8, which often happens with files copied from old Windows or Mac systems. Rename it using ordinary letters and numbers, then drop it in again.")
        return reject(entry.readablePath, rejection, size: 0, sourceName: entry.rawName)
    }

    func logger(for path: String, destination: String? = nil) -> Logger {
        Self.logger(logger, for: path, destination: destination ?? config.destination(forRelativePath: path)?.destination.name ?? "")
    }

    /// `logger` with a file's path and its destination ("": none) in its metadata.
    static func logger(_ logger: Logger, for path: String, destination: String) -> Logger {
        var logger = logger
        logger[metadataKey: "file"] = .string(path)
        if !destination.isEmpty { logger[metadataKey: "destination"] = .string(destination) }
        return logger
    }

    /// Moves a rejected file to `rejected/` with its reason note, and says so.
    /// `inode`: the file that was examined, when it was opened; a different file found at the
    /// path by then is not moved. `sourceName`: the raw bytes of a name that is not UTF-8.
    func reject(_ relativePath: String, _ rejection: Rejection, size: Int64, itemID: UInt64? = nil,
                inode: UInt64? = nil, sourceName: [UInt8]? = nil) -> Bool {
        let logger = logger(for: relativePath)
        logger.warning("rejected", metadata: ["reason": "\(rejection.code)", "detail": "\(rejection.message)"])
        do {
            let destination = try rejected.move(relativePath, from: drop, expectedInode: inode, sourceName: sourceName,
                                                note: .init(suffix: Notes.reasonSuffix) { finalPath in
                let parts = finalPath.split(separator: "/")
                return Notes.reason(fileName: String(parts.last ?? ""), folder: parts.dropLast().joined(separator: "/"),
                                    rejection: rejection, at: WallClock.now(),
                                    destination: self.config.destination(forRelativePath: relativePath)?.destination.name ?? "")
            })
            if let itemID {
                try journal.append(.rejected(id: itemID, code: rejection.code, destination: destination))
            }
            board.set(relativePath, state: .rejected, size: size, message: rejection.message)
            return true
        } catch {
            logger.error("could not move the rejected file or write its reason", metadata: ["error": "\(error)"])
            board.set(relativePath, state: .failed, size: size, message: "\(error)")
            return false
        }
    }
}

extension HTTPClientSettings {
    /// A destination's client: its credentials, only to its own origins; its TLS and proxy.
    init(destination: Config.Destination, password: PortalPassword?, transfer: Config.Transfer,
         rateLimiter: RateLimiter, stop: StopSignal) {
        self.init()
        origins = OriginPolicy(portalURLs: [destination.portal.url, destination.effectiveLargeFileURL],
                               uploadOrigins: destination.portal.uploadOrigins,
                               credentialsToUploads: destination.portal.sendCredentialsToUploadOrigins)
        if let password {
            username = destination.portalUsername
            self.password = password.value
        }
        caFile = destination.portal.caFile
        pinnedPublicKey = destination.portal.pinnedPublicKey
        proxy = destination.portal.proxy
        lowSpeedTimeSeconds = max(1, Int(transfer.lowSpeedTime.components.seconds))
        self.rateLimiter = rateLimiter
        self.stop = stop
    }
}
