// swift-tools-version:6.1
// The pinned apple/swift-openapi-generator, built once by scripts/generate-openapi-client to turn
// docs/openapi.json into Sources/GatehouseAdminAPI/Generated/*.swift (docs/architecture.md,
// "Generated admin API client"). Not part of the gatehouse package: a clean build of gatehouse
// never compiles the generator.
import PackageDescription

let package = Package(
    name: "openapi-generator-tool",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")
    ],
    targets: []
)
