import UploaderHashing

/// What a tus server told us in its `OPTIONS` answer.
struct TusCapabilities: Sendable, Equatable {
    var versions: [String] = []
    var extensions: Set<String> = []
    var maxSize: Int64? = nil
    var checksumAlgorithms: [String] = []

    /// Used when the server did not answer OPTIONS usefully: core protocol plus creation.
    static let assumed = TusCapabilities(versions: ["1.0.0"], extensions: ["creation"])

    init(versions: [String] = [], extensions: Set<String> = [], maxSize: Int64? = nil, checksumAlgorithms: [String] = []) {
        self.versions = versions
        self.extensions = extensions
        self.maxSize = maxSize
        self.checksumAlgorithms = checksumAlgorithms
    }

    init(headers: [String: String]) {
        versions = Self.list(headers["tus-version"])
        extensions = Set(Self.list(headers["tus-extension"]))
        maxSize = headers["tus-max-size"].flatMap { Int64($0) }
        checksumAlgorithms = Self.list(headers["tus-checksum-algorithm"]).map { $0.lowercased() }
    }

    var supportsTermination: Bool { extensions.contains("termination") }

    /// The strongest per-chunk checksum both sides support, when the server has the extension.
    var checksumAlgorithm: Digest.Algorithm? {
        guard extensions.contains("checksum") else { return nil }
        return Digest.Algorithm.allCases.first { checksumAlgorithms.contains($0.tusName) }
    }

    /// A comma-separated header list, split on bytes (not Characters: a combining mark after a
    /// comma would otherwise swallow it).
    private static func list(_ value: String?) -> [String] {
        Array((value ?? "").utf8).split(separator: 0x2C).map {
            String(decoding: $0, as: UTF8.self).trimmingASCIIWhitespace()
        }.filter { !$0.isEmpty }
    }
}
