// swift-tools-version: 6.0
import PackageDescription

// Targets split where dependencies change (docs/ARCHITECTURE.md):
// only StewardSQLite imports a database driver, only StewardServer imports the HTTP server;
// StewardConsole renders the web console's pages from model values and knows no HTTP.
let package = Package(
    name: "Steward",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "steward", targets: ["steward"]),
        .executable(name: "steward-agent", targets: ["steward-agent"]),
        .executable(name: "steward-bench", targets: ["steward-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // Crypto for the inventory's section hashes, which agents and server compute alike.
        .target(name: "StewardModel", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "StewardStore",
            dependencies: ["StewardModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "StewardSQLite",
            dependencies: [
                "StewardModel", "StewardStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "StewardPostgres",
            dependencies: [
                "StewardModel", "StewardStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only to recognise the pool's own errors (its circuit breaker) as an outage.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "StewardConsole", dependencies: ["StewardModel"]),
        // The OCS Inventory NG protocol (OCS, FusionInventory and GLPI agents): bounded XML in,
        // Steward's inventory out; no HTTP routing, no SQL.
        .target(
            name: "StewardOCS",
            dependencies: [
                "StewardModel", .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // SCIM 2.0 (RFC 7643/7644), the protocol directories provision users and groups with:
        // documents, filters and PATCH in, the directory model out; no HTTP routing, no SQL.
        .target(name: "StewardSCIM"),
        // Apple's MDM protocol (iPhone, iPad, Mac): property lists in, Steward's inventory out;
        // the tenant's enrollment CA, device identities (PKCS #12) and their signatures; no HTTP
        // routing, no SQL.
        .target(
            name: "StewardAppleMDM",
            dependencies: [
                "StewardModel",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Apple's push notification service (HTTP/2, certificate-authenticated): an outbound client only.
        .target(
            name: "StewardAPNs",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // TLS for server and agent: the server's reloadable certificate, a first install's
        // self-signed one, and what an agent trusts a server by (a CA file or a key's pin).
        .target(
            name: "StewardTLS",
            dependencies: [
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "StewardServer",
            dependencies: [
                "StewardModel", "StewardStore", "StewardConsole", "StewardOCS", "StewardSCIM", "StewardTLS", "StewardAppleMDM",
                "StewardAPNs",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "StewardAgent",
            dependencies: [
                "StewardModel", "StewardTLS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "steward",
            dependencies: [
                "StewardModel", "StewardStore", "StewardSQLite", "StewardPostgres", "StewardServer", "StewardAgent", "StewardTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "steward-agent",
            dependencies: [
                "StewardModel", "StewardAgent", "StewardTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "steward-bench",
            dependencies: [
                "StewardModel", "StewardStore", "StewardOCS", "StewardSQLite", "StewardPostgres", "StewardServer", "StewardAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "StewardTests",
            dependencies: [
                "StewardModel", "StewardStore", "StewardOCS", "StewardConsole", "StewardSQLite", "StewardPostgres", "StewardServer", "StewardAgent",
                "StewardTLS", "StewardSCIM", "StewardAppleMDM", "StewardAPNs",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
