/// How a file is cut into multipart parts: every part `partSize` bytes but the last. The size
/// is grown (in whole MiB) so that the file fits in S3's 10,000 parts, and never falls below
/// S3's 5 MiB minimum for a part that is not the last. Pure.
package struct S3PartPlan: Sendable, Equatable {
    package static let minimumPartSize: Int64 = 5 << 20
    package static let maximumPartSize: Int64 = 5 << 30
    static let maximumParts = 10_000

    let length: Int64
    let partSize: Int64

    package init(length: Int64, partSize: Int64) {
        precondition(length >= 0)
        var size = max(partSize, Self.minimumPartSize)
        let fitting = (length + Int64(Self.maximumParts) - 1) / Int64(Self.maximumParts)
        if fitting > size {
            let mib: Int64 = 1 << 20
            size = (fitting + mib - 1) / mib * mib
        }
        self.length = length
        self.partSize = min(size, Self.maximumPartSize)
    }

    /// At least one part: an empty file is one empty part.
    package var count: Int { length == 0 ? 1 : Int((length + partSize - 1) / partSize) }

    package func offset(of number: Int) -> Int64 { Int64(number - 1) * partSize }

    package func size(of number: Int) -> Int64 {
        guard number >= 1, number <= count else { return 0 }
        return min(partSize, length - offset(of: number))
    }
}

/// One part the server holds (or was just given): what CompleteMultipartUpload lists.
package struct S3Part: Sendable, Equatable {
    package var number: Int
    package var size: Int64
    /// As the server wrote it, quotes included.
    package var etag: String
    /// Base64 SHA-256 of the part's bytes; nil when the server did not report one.
    package var checksumSHA256: String?

    package init(number: Int, size: Int64, etag: String, checksumSHA256: String?) {
        self.number = number
        self.size = size
        self.etag = etag
        self.checksumSHA256 = checksumSHA256
    }
}
