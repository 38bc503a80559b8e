import CCrypto

/// A message digest over OpenSSL EVP. The only file that speaks libcrypto.
package struct Digest: ~Copyable {
    package enum Algorithm: String, Sendable, CaseIterable {
        case sha256, sha1, md5
        /// The tus checksum-extension names for these algorithms.
        package var tusName: String { rawValue }
    }

    private let context: OpaquePointer

    package init(_ algorithm: Algorithm) {
        let md: OpaquePointer?
        switch algorithm {
        case .sha256: md = EVP_sha256()
        case .sha1: md = EVP_sha1()
        case .md5: md = EVP_md5()
        }
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, md, nil) == 1 else {
            fatalError("OpenSSL could not initialise \(algorithm.rawValue)")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    package consuming func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return Array(out.prefix(Int(length)))
    }
}

extension Array where Element == UInt8 {
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
