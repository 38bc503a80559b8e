/// Where an S3 object lives and how requests name it: the endpoint, the bucket (path-style, or
/// virtual-host style on AWS's own hosts) and the key. Pure.
package struct S3Location: Sendable, Equatable {
    /// "https://s3.eu-west-2.amazonaws.com", without a trailing "/".
    let endpoint: String
    let bucket: String

    package init(endpoint: String, bucket: String) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.bucket = bucket
    }

    /// AWS's hosts take the bucket in the host name (virtual-host style); any other store gets it
    /// in the path, which works everywhere.
    var virtualHosted: Bool {
        guard let host = ParsedURL.parse(endpoint)?.origin.host else { return false }
        return host.hasSuffix(".amazonaws.com") && !bucket.contains(".")
    }

    /// The base URL objects of the bucket are under, ending in "/".
    var bucketURL: String {
        if virtualHosted, let schemeEnd = endpoint.firstRange(of: "://") {
            return endpoint[..<schemeEnd.upperBound] + bucket + "." + endpoint[schemeEnd.upperBound...] + "/"
        }
        return endpoint + "/" + S3Encoding.encode(bucket) + "/"
    }

    /// The one origin requests go to: the credentials' and the evidence's only destination.
    package var origin: Origin? { ParsedURL.parse(bucketURL)?.origin }

    /// An object's URL with the query, parameters sorted (libcurl 7.88 signs them as written).
    func url(key: String, query: [(String, String)] = []) -> String {
        var url = bucketURL + S3Encoding.encode(key, keepSlash: true)
        if !query.isEmpty {
            url += "?" + query.sorted { $0.0 < $1.0 }
                .map { "\(S3Encoding.encode($0.0))=\(S3Encoding.encode($0.1))" }.joined(separator: "&")
        }
        return url
    }
}

/// URI encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ (and "/" in a key).
enum S3Encoding {
    static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x2F where keepSlash:
                out += "/"
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 15)])
            }
        }
        return out
    }

    static func decode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == 0x25 {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Where a file sent with one PutObject went, for the receipt: "s3://BUCKET/KEY". Never
/// journalled (there is no upload to resume), so never parsed back.
struct S3ObjectReference: Sendable, Equatable {
    var bucket: String
    var key: String

    var text: String { "s3://\(S3Encoding.encode(bucket))/\(S3Encoding.encode(key, keepSlash: true))" }
}

/// What the journal keeps of an S3 upload, in its one string: "s3://BUCKET/KEY?uploadId=ID"
/// (key and id URI-encoded). Read back on resume.
struct S3UploadReference: Sendable, Equatable {
    var bucket: String
    var key: String
    var uploadID: String

    var text: String {
        "s3://\(S3Encoding.encode(bucket))/\(S3Encoding.encode(key, keepSlash: true))?uploadId=\(S3Encoding.encode(uploadID))"
    }

    init(bucket: String, key: String, uploadID: String) {
        self.bucket = bucket
        self.key = key
        self.uploadID = uploadID
    }

    /// nil for anything else (a tus URL journalled before the destination became S3).
    init?(_ text: String) {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/"), let query = rest.firstRange(of: "?uploadId=") else { return nil }
        guard slash < query.lowerBound,
              let bucket = S3Encoding.decode(String(rest[..<slash])),
              let key = S3Encoding.decode(String(rest[rest.index(after: slash)..<query.lowerBound])),
              let id = S3Encoding.decode(String(rest[query.upperBound...])),
              !bucket.isEmpty, !key.isEmpty, !id.isEmpty else { return nil }
        self.init(bucket: bucket, key: key, uploadID: id)
    }
}
