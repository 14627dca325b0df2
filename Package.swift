// swift-tools-version:6.1
// Gatehouse: a multi-tenant OAuth 2.0 / OpenID Connect provider appliance.
//
// Targets are layered (docs/architecture.md); dependencies point downward only:
//
//   CSodium, COpenSSLCrypto, CCurl   system-library shims (module.modulemap + shim.h)
//   GatehouseThreads                 ThreadPool: dedicated threads for blocking work (hashing, curl)
//   GatehouseCrypto                  the only importer of CSodium/COpenSSLCrypto
//   GatehouseOutbound                the only importer of CCurl: async HTTP client + SMTP sender
//   GatehouseQRCode                  the only importer of CQRencode: QR codes as SVG
//   GatehouseHTML                    the only importer of CGumbo: HTML5 parsing for template checks
//   GatehouseCore                    protocol logic; no Hummingbird, GRDB or C imports
//   GatehouseStore                   GRDB: instance database + one SQLite file per tenant; or
//                                    PostgresNIO: one PostgreSQL schema per tenant
//   GatehouseStoreTesting            in-memory TenantStore for tests (test targets only)
//   GatehouseFederation              upstream OIDC / OAuth 2.0 login providers (via GatehouseOutbound)
//   GatehouseWeb                     Hummingbird: routes, pages, admin API (imports CMalloc: glibc heap figures and trim)
//   GatehouseAdminAPI                admin API client generated from docs/openapi.json (committed; see
//                                    scripts/generate-openapi-client) over GatehouseOutbound's libcurl
//   gatehouse                        executable: `serve` and the admin CLI
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", exact: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        // The generated admin API client's runtime. The generator itself
        // (https://github.com/apple/swift-openapi-generator, exact 1.14.3) is not a dependency: it runs
        // from scripts/openapi-generator/Package.swift and its output is committed (docs/architecture.md).
        .package(url: "https://github.com/apple/swift-openapi-runtime", exact: "1.13.4"),
        // The PostgreSQL backend (`[storage] backend = "postgres"`): a schema per tenant.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "COpenSSLCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CGumbo", pkgConfig: "gumbo", providers: [.apt(["libgumbo-dev"])]),
        .systemLibrary(name: "CMalloc"),

        // MARK: Threads for blocking work
        .target(
            name: "GatehouseThreads",
            swiftSettings: swiftSettings
        ),

        // MARK: Wrappers over C
        .target(
            name: "GatehouseCrypto",
            dependencies: ["CSodium", "COpenSSLCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatehouseOutbound",
            dependencies: ["CCurl", "GatehouseThreads"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatehouseQRCode",
            dependencies: ["CQRencode"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatehouseHTML",
            dependencies: ["CGumbo"],
            swiftSettings: swiftSettings
        ),

        // MARK: Protocol core
        .target(
            name: "GatehouseCore",
            dependencies: ["GatehouseCrypto"],
            swiftSettings: swiftSettings
        ),

        // MARK: Storage
        .target(
            name: "GatehouseStore",
            dependencies: [
                "GatehouseCore",
                "GatehouseCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Storage for tests (linked by test targets only, never by the executable)
        .target(
            name: "GatehouseStoreTesting",
            dependencies: ["GatehouseCore"],
            swiftSettings: swiftSettings
        ),

        // MARK: Upstream login providers
        .target(
            name: "GatehouseFederation",
            dependencies: ["GatehouseCore", "GatehouseCrypto", "GatehouseOutbound"],
            swiftSettings: swiftSettings
        ),

        // MARK: HTTP
        .target(
            name: "GatehouseWeb",
            dependencies: [
                "GatehouseFederation",
                "GatehouseCore",
                "GatehouseCrypto",
                "GatehouseStore",
                "GatehouseOutbound",
                "GatehouseQRCode",
                "GatehouseHTML",
                "GatehouseThreads",
                "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Admin API client
        .target(
            name: "GatehouseAdminAPI",
            dependencies: [
                "GatehouseOutbound",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Executable
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "GatehouseWeb",
                "GatehouseOutbound",
                "GatehouseAdminAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "GatehouseCryptoTests",
            dependencies: ["GatehouseCrypto"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseOutboundTests",
            dependencies: ["GatehouseOutbound"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseAdminAPITests",
            dependencies: ["GatehouseAdminAPI", "GatehouseCrypto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseQRCodeTests",
            dependencies: ["GatehouseQRCode"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: ["GatehouseCore", "GatehouseCrypto", "GatehouseThreads", "GatehouseStoreTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseFederationTests",
            dependencies: ["GatehouseFederation", "GatehouseCore", "GatehouseCrypto", "GatehouseOutbound"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseStoreTests",
            dependencies: ["GatehouseStore", "GatehouseStoreTesting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseWebTests",
            dependencies: [
                "GatehouseWeb",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
