// swift-tools-version:6.0
import PackageDescription

// C stays at the edge: one system-library target per C library, one small C target of
// typed wrappers for libcurl's variadic calls, one for the Linux calls Swift cannot make. Each is
// imported by exactly one module (libcurl: UploaderCurl; libcrypto: UploaderHashing; zlib:
// UploaderJournal; the Linux shim: UploaderSystem); the decisions (UploaderCore) import nothing.
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
        // The pure core: the decisions (item and admission machines, scheduler, settler), the
        // model (labels, the route rule, rejections) and the policy. No C, no Glibc, no clock
        // reads: the compiler keeps I/O out of it.
        .target(name: "UploaderCore", path: "Sources/UploaderCore"),
        // The adapters, each a module of its own so that only what it declares `package` is
        // seen by the rest, and only the modules it lists are imported by it.
        // system: syscalls, threads, atomic files, group sync, the drop folder, safe open,
        // inotify, the folder mover. The one place threads are made.
        .target(name: "UploaderSystem", dependencies: ["UploaderCore", "CLinuxShim"],
                path: "Sources/UploaderSystem"),
        // config: the TOML subset and the one table-driven schema of keys.
        .target(name: "UploaderConfig", dependencies: ["UploaderCore", "UploaderSystem"],
                path: "Sources/UploaderConfig"),
        // journal: the crash-safe record of every file's progress.
        .target(name: "UploaderJournal", dependencies: ["UploaderCore", "UploaderSystem", "CZlib"],
                path: "Sources/UploaderJournal"),
        // hashing: SHA-256 of files and buffers over libcrypto.
        .target(name: "UploaderHashing", dependencies: ["UploaderCore", "UploaderSystem", "CCrypto"],
                path: "Sources/UploaderHashing"),
        // curl: connections, the rate limiter, the tus and S3 clients and their upload sessions.
        .target(
            name: "UploaderCurl",
            dependencies: [
                "UploaderCore", "UploaderSystem", "UploaderHashing", "CCurl", "CCurlShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/UploaderCurl"
        ),
        // The composition: the service driver (run and run --once), delivery and admission over
        // the ports, compression, notifications, the status board and page.
        .target(
            name: "EvidenceUploaderKit",
            dependencies: [
                "UploaderCore", "UploaderSystem", "UploaderConfig", "UploaderJournal",
                "UploaderHashing", "UploaderCurl",
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
                "EvidenceUploaderKit", "UploaderCore", "UploaderSystem", "UploaderConfig",
                "UploaderJournal", "UploaderHashing", "UploaderCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/UploaderTestSupport"
        ),
        // The libFuzzer harnesses, one per parser that reads bytes from outside. Each links the
        // module it drives; a plain build compiles them (so they keep compiling), and
        // scripts/fuzz builds them again with -sanitize=fuzzer,address and links each alone.
        .target(name: "FuzzConfig", dependencies: ["UploaderConfig"], path: "Fuzz/config"),
        .target(name: "FuzzManifest", dependencies: ["UploaderCore"], path: "Fuzz/manifest"),
        .target(name: "FuzzTusHeaders", dependencies: ["UploaderCore", "UploaderCurl"], path: "Fuzz/tus-headers"),
        .target(name: "FuzzJournal", dependencies: ["UploaderJournal"], path: "Fuzz/journal"),
        .target(name: "FuzzOpenability", dependencies: ["UploaderCore"], path: "Fuzz/openability"),
        .target(name: "FuzzS3XML", dependencies: ["UploaderCurl"], path: "Fuzz/s3-xml"),
        .testTarget(
            name: "UploaderCoreTests",
            dependencies: ["UploaderCore"],
            path: "Tests/UploaderCoreTests"
        ),
        .testTarget(
            name: "EvidenceUploaderKitTests",
            dependencies: [
                "EvidenceUploaderKit", "UploaderCore", "UploaderSystem", "UploaderConfig",
                "UploaderJournal", "UploaderHashing", "UploaderCurl", "UploaderTestSupport",
            ],
            path: "Tests/EvidenceUploaderKitTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
