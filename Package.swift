// swift-tools-version:6.0
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "lt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lt-query", targets: ["lt-query"]),
        .executable(name: "lt-enrich", targets: ["lt-enrich"]),
        .executable(name: "lt-send", targets: ["lt-send"]),
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
        .target(
            name: "Shared",
            dependencies: [
                "CCurl", "CLibPQ", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The command line (option groups, typed arguments, exit status); Shared knows nothing of it.
        .target(
            name: "LTCommandLine",
            dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "lt-query", dependencies: ["Shared", "LTCommandLine", argumentParser]),
        .executableTarget(name: "lt-enrich", dependencies: ["Shared", "LTCommandLine", argumentParser]),
        .executableTarget(name: "lt-send", dependencies: ["Shared", "LTCommandLine", argumentParser]),
        // libFuzzer targets; scripts/fuzz.sh builds them with -sanitize=fuzzer, plain builds replay a corpus.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "lt-fuzz-envelope", dependencies: ["Shared", "FuzzDriver"]),
        .executableTarget(name: "lt-fuzz-splice", dependencies: ["Shared", "FuzzDriver"]),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "LTCommandLineTests", dependencies: ["LTCommandLine", "Shared", argumentParser]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Shared", "lt-query", "lt-enrich", "lt-send", "lt-fuzz-envelope", "lt-fuzz-splice"]
        ),
    ]
)
