// swift-tools-version:6.0
import PackageDescription

// C stays at the edge: one system-library target per C library, one small C target of
// typed wrappers for libcurl's variadic calls. Only EvidenceUploaderKit imports them; the
// decisions (UploaderCore) import nothing at all.
let package = Package(
    name: "evidence-uploader",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "evidence-uploader", targets: ["evidence-uploader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CCurlShim", dependencies: ["CCurl"], path: "Sources/CCurlShim"),
        .target(name: "CLinuxShim", path: "Sources/CLinuxShim"),
        // The pure core: no C, no Glibc, no clock reads. The compiler keeps I/O out of it.
        .target(name: "UploaderCore", path: "Sources/UploaderCore"),
        .target(
            name: "EvidenceUploaderKit",
            dependencies: [
                "UploaderCore",
                "CCurl", "CCurlShim", "CLinuxShim", "CCrypto", "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/EvidenceUploaderKit"
        ),
        .executableTarget(
            name: "evidence-uploader",
            dependencies: [
                "EvidenceUploaderKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/evidence-uploader"
        ),
        // In-memory doubles of the delivery's ports (journal, drop folder, evidence sink, clock,
        // a scripted transport), for the test targets only. It reaches the kit's internals with
        // `@testable import`, which only a debug build allows: a release build compiles it empty.
        .target(
            name: "UploaderTestSupport",
            dependencies: [
                "EvidenceUploaderKit", "UploaderCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/UploaderTestSupport"
        ),
        .testTarget(
            name: "UploaderCoreTests",
            dependencies: ["UploaderCore"],
            path: "Tests/UploaderCoreTests"
        ),
        .testTarget(
            name: "EvidenceUploaderKitTests",
            dependencies: ["EvidenceUploaderKit", "UploaderTestSupport"],
            path: "Tests/EvidenceUploaderKitTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
