// swift-tools-version:6.1
// The bare Hummingbird 2 server that bench/http measures beside Gatehouse: the same framework at the
// same version as the main package (keep the `exact:` below equal to ../../Package.swift's), no
// middleware, no tenant lookup, two fixed responses. See bench/README.md ("Bare-server baseline").
import PackageDescription

let package = Package(
    name: "gatehouse-bench-baseline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "baseline", targets: ["baseline"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "baseline",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
