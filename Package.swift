// swift-tools-version:6.0
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

// A file sees only the members of modules it imports itself. Without this, TOMLKit's use of Foundation
// makes Foundation's String methods (contains, range(of:)) win over the standard library's in every
// file, and they link all of Foundation and its ICU data (about 45 MB) into the static binaries.
let onlyImportedMembers: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "lt",
    // No `platforms:`: lt builds on Linux only (the tools call Glibc directly), and SwiftPM's
    // platforms list can only name Apple systems, none of which would build.
    products: [
        .executable(name: "lt-query", targets: ["lt-query"]),
        .executable(name: "lt-enrich", targets: ["lt-enrich"]),
        .executable(name: "lt-send", targets: ["lt-send"]),
        .executable(name: "lt-rollup", targets: ["lt-rollup"]),
        // The four tools in one binary, run by the name it is called under (scripts/build-release.sh).
        .executable(name: "lt", targets: ["lt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libcrypto, to check client certificates and keys at start-up as libcurl's TLS will read them.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Lines, JSON, envelopes and the error protocol: no dependencies, so that scripts/fuzz.sh builds
        // only this with the sanitizer. Shared re-exports it.
        .target(name: "LTCore", swiftSettings: onlyImportedMembers),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Shared",
            dependencies: [
                "LTCore", "CCurl", "CLibPQ", "CSQLite", "CZlib", "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: onlyImportedMembers,
            plugins: ["CommitStamp"]
        ),
        // Writes the commit the build is made from into Shared, for --version (scripts/commit-stamp.sh).
        .plugin(name: "CommitStamp", capability: .buildTool()),
        // The command line (option groups, typed arguments, exit status); Shared knows nothing of it.
        .target(
            name: "LTCommandLine",
            dependencies: ["Shared", argumentParser],
            swiftSettings: onlyImportedMembers
        ),
        // The tools' commands (help text, option groups, wiring); each executable is one line calling one.
        .target(
            name: "Tools",
            dependencies: ["Shared", "LTCommandLine", argumentParser],
            swiftSettings: onlyImportedMembers
        ),
        .executableTarget(name: "lt-query", dependencies: ["Tools"]),
        .executableTarget(name: "lt-enrich", dependencies: ["Tools"]),
        .executableTarget(name: "lt-send", dependencies: ["Tools"]),
        .executableTarget(name: "lt-rollup", dependencies: ["Tools"]),
        .executableTarget(name: "lt", dependencies: ["Tools"]),
        // libFuzzer targets; scripts/fuzz.sh builds them with -sanitize=fuzzer, plain builds replay a corpus.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "lt-fuzz-envelope", dependencies: ["LTCore", "FuzzDriver"]),
        .executableTarget(name: "lt-fuzz-splice", dependencies: ["LTCore", "FuzzDriver"]),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "LTCommandLineTests", dependencies: ["LTCommandLine", "Shared", argumentParser]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Shared", "lt-query", "lt-enrich", "lt-send", "lt-rollup", "lt", "lt-fuzz-envelope", "lt-fuzz-splice"]
        ),
    ]
)
