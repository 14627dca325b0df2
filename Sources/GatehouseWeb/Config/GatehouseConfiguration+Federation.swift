import Foundation
import GatehouseFederation
import GatehouseOutbound
import TOMLKit

/// The `[federation]` table: how the server talks to upstream login providers. Every key is
/// documented here, where its default is defined, and in `config/gatehouse.toml`.
public struct FederationConfiguration: Sendable {
    /// `connect_timeout_seconds`: seconds to connect (DNS, TCP, TLS) to a provider. Default 5.
    public var connectTimeout: Double = 5
    /// `timeout_seconds`: seconds for one whole exchange with a provider, redirects included. Default 10.
    public var totalTimeout: Double = 10
    /// `max_response_bytes`: largest answer accepted from a provider. Default 1048576.
    public var maxResponseBytes = 1 << 20
    /// `ca_bundle`: PEM file of CA certificates trusted for providers. Default: the system store.
    public var caBundle: String?
    /// `allow_private_destinations`: let providers live on loopback, private and link-local
    /// addresses (SSRF guard off). Default false.
    public var allowPrivateDestinations = false
    /// `allowed_private_networks`: CIDR blocks allowed despite the SSRF guard, e.g. `["10.1.2.3/32"]`. Default none.
    public var allowedPrivateNetworks: [String] = []
    /// `allow_http`: accept `http://` provider URLs (labs and tests only). Default false.
    public var allowHTTP = false
    /// `metadata_cache_seconds`: how long discovery documents and JWKS are cached. Default 3600.
    public var metadataCacheSeconds = 3600
    /// `jwks_refetch_interval_seconds`: least seconds between JWKS fetches caused by an unknown key id. Default 10.
    public var jwksRefetchIntervalSeconds = 10
    /// `clock_skew_seconds`: skew allowed when checking ID token times. Default 60.
    public var clockSkewSeconds = 60

    public init() {}

    static let keys: Set<String> = [
        "connect_timeout_seconds", "timeout_seconds", "max_response_bytes", "ca_bundle",
        "allow_private_destinations", "allowed_private_networks", "allow_http", "metadata_cache_seconds",
        "jwks_refetch_interval_seconds", "clock_skew_seconds",
    ]

    /// The settings the federation service runs with.
    public var settings: FederationSettings {
        var s = FederationSettings()
        s.connectTimeout = connectTimeout
        s.totalTimeout = totalTimeout
        s.maxResponseBytes = maxResponseBytes
        s.caBundlePath = caBundle
        s.allowPrivateDestinations = allowPrivateDestinations
        s.allowedPrivateNetworks = allowedPrivateNetworks.compactMap(IPNetwork.init)
        s.allowHTTP = allowHTTP
        s.metadataCacheSeconds = Double(metadataCacheSeconds)
        s.jwksRefetchIntervalSeconds = Double(jwksRefetchIntervalSeconds)
        s.clockSkewSeconds = Double(clockSkewSeconds)
        return s
    }

    mutating func apply(_ table: TOMLTable, problems: inout [GatehouseConfiguration.Problem]) {
        func key(_ k: String) -> String { "federation.\(k)" }
        func number(_ k: String) -> Double? {
            guard let v = table[k] else { return nil }
            if let i = v.int { return Double(i) }
            if let d = v.double { return d }
            problems.append(.init(key: key(k), message: "must be a number"))
            return nil
        }
        func int(_ k: String) -> Int? {
            guard let v = table[k] else { return nil }
            guard let i = v.int else { problems.append(.init(key: key(k), message: "must be an integer")); return nil }
            return i
        }
        func bool(_ k: String) -> Bool? {
            guard let v = table[k] else { return nil }
            guard let b = v.bool else { problems.append(.init(key: key(k), message: "must be a boolean")); return nil }
            return b
        }
        if let v = number("connect_timeout_seconds") { connectTimeout = v }
        if let v = number("timeout_seconds") { totalTimeout = v }
        if let v = int("max_response_bytes") { maxResponseBytes = v }
        if let v = table["ca_bundle"] {
            if let s = v.string { caBundle = s.isEmpty ? nil : s } else { problems.append(.init(key: key("ca_bundle"), message: "must be a string")) }
        }
        if let v = bool("allow_private_destinations") { allowPrivateDestinations = v }
        if let v = table["allowed_private_networks"] {
            if let array = v.array, array.allSatisfy({ $0.string != nil }) {
                allowedPrivateNetworks = array.compactMap(\.string)
            } else {
                problems.append(.init(key: key("allowed_private_networks"), message: "must be an array of CIDR strings"))
            }
        }
        if let v = bool("allow_http") { allowHTTP = v }
        if let v = int("metadata_cache_seconds") { metadataCacheSeconds = v }
        if let v = int("jwks_refetch_interval_seconds") { jwksRefetchIntervalSeconds = v }
        if let v = int("clock_skew_seconds") { clockSkewSeconds = v }
    }

    func validate() -> [GatehouseConfiguration.Problem] {
        var problems: [GatehouseConfiguration.Problem] = []
        func fail(_ k: String, _ message: String) { problems.append(.init(key: "federation.\(k)", message: message)) }
        if !(connectTimeout > 0 && connectTimeout <= 120) { fail("connect_timeout_seconds", "must be more than 0 and at most 120") }
        if !(totalTimeout > 0 && totalTimeout <= 300) { fail("timeout_seconds", "must be more than 0 and at most 300") }
        if !(1024...(64 << 20)).contains(maxResponseBytes) { fail("max_response_bytes", "must be 1024…67108864") }
        if let caBundle, !FileManager.default.fileExists(atPath: caBundle) { fail("ca_bundle", "\(caBundle) does not exist") }
        for network in allowedPrivateNetworks where IPNetwork(network) == nil { fail("allowed_private_networks", "'\(network)' is not a CIDR block") }
        if !(0...86400).contains(metadataCacheSeconds) { fail("metadata_cache_seconds", "must be 0…86400") }
        if !(0...3600).contains(jwksRefetchIntervalSeconds) { fail("jwks_refetch_interval_seconds", "must be 0…3600") }
        if !(0...600).contains(clockSkewSeconds) { fail("clock_skew_seconds", "must be 0…600") }
        return problems
    }
}

extension GatehouseConfiguration {
    mutating func applyFederation(_ root: TOMLTable, problems: inout [Problem]) {
        guard let table = root["federation"]?.table else { return }
        federation.apply(table, problems: &problems)
    }
}
