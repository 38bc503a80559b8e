import Logging
import Synchronization
import UploaderCurl

/// Uploads the portal holds whose file the journal lost (damage in the middle of the journal
/// took their `discovered` record). At start they are asked about (`HEAD`) and said loudly;
/// a file found again with the same name and length (and SHA-256, where the portal echoes it)
/// continues that upload instead of sending everything again.
final class OrphanUploads: Sendable {
    struct Upload: Sendable, Equatable {
        var url: String
        var offset: Int64
        var length: Int64
        var fileName: String?
        var sha256: String?
    }

    private let uploads: Mutex<[Upload]>

    init(_ uploads: [Upload] = []) {
        self.uploads = Mutex(uploads)
    }

    /// Asks the portal about each URL; unreachable or unknown ones are said and dropped.
    /// `clients`: each portal's settings; a URL is asked with the one whose origins it is on.
    static func discover(urls: [String], clients: [HTTPClientSettings], logger: Logger) -> OrphanUploads {
        var found: [Upload] = []
        for url in Set(urls).sorted() {
            guard let origin = ParsedURL.parse(url)?.origin,
                  let http = clients.first(where: { $0.origins.mayContact(origin) }) ?? clients.first,
                  let connection = try? CurlConnection(settings: http) else { continue }
            let client = TusClient(connection: connection)
            do {
                let (offset, length, metadata) = try client.probeWithMetadata(url: url)
                guard let length else { continue }
                let upload = Upload(url: url, offset: offset, length: length, fileName: metadata?["filename"], sha256: metadata?["sha256"])
                logger.warning("the damaged journal lost the file of an upload the portal holds; a file with the same name and size will continue it", metadata: [
                    "url": "\(url)", "offset": "\(offset)", "length": "\(length)", "filename": "\(upload.fileName ?? "?")",
                ])
                found.append(upload)
            } catch {
                logger.warning("an upload named only by the damaged journal is not on the portal any more", metadata: ["url": "\(url)", "reason": "\(error.summary)"])
            }
        }
        return OrphanUploads(found)
    }

    /// Takes the upload that matches this file, if one does.
    func claim(fileName: String, length: Int64, sha256: String) -> Upload? {
        uploads.withLock { list in
            guard let index = list.firstIndex(where: {
                $0.fileName == fileName && $0.length == length && ($0.sha256 == nil || $0.sha256 == sha256)
            }) else { return nil }
            return list.remove(at: index)
        }
    }
}
