import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A tenant's signing keys: list and rotate.
extension AdminController {
    /// Signing keys with their schedule (never private material).
    func listKeys(_ context: TenantContext) async throws -> Response {
        let now = services.clock.now
        struct List: Encodable { let keys: [KeyView] }
        let keys = try await liveSigningKeys(in: context.database)
        return Responses.json(List(keys: keys.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }

    /// The tenant's signing keys that are not expired (the key ring brought up to date first),
    /// as the admin API and the console list them; records only, never private material.
    func liveSigningKeys(in database: any TenantHandle) async throws -> [SigningKeyRecord] {
        let now = services.clock.now
        _ = try await database.keyRing(at: now)
        return try await database.signingKeyRecords().filter { $0.status(at: now) != .expired }
    }

    /// Starts a rotation: `{"algorithms": [...]}` (default: every enabled algorithm).
    func rotateKeys(_ request: Request, _ context: TenantContext) async throws -> Response {
        var algorithms = context.tenant.tenant.settings.signingAlgorithms
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            algorithms = Self.rotationAlgorithms(&input, tenant: context.tenant)
            try input.check()
        }
        let now = services.clock.now
        let rotated = try await context.database.rotateSigningKeys(algorithms: algorithms, at: now)
        struct Rotation: Encodable { let keys: [KeyView] }
        return Responses.json(Rotation(keys: rotated.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }

    /// The rotation body's `algorithms`: each enabled for the tenant and listed once (every
    /// enabled algorithm when the body has none); problems are collected in `input`.
    static func rotationAlgorithms(_ input: inout JSONInput, tenant: ResolvedTenant) -> [JWSAlgorithm] {
        let enabled = tenant.tenant.settings.signingAlgorithms
        input.rejectUnknown(["algorithms"])
        guard let raw = input.strings("algorithms") else { return enabled }
        var algorithms: [JWSAlgorithm] = []
        for value in raw {
            if let a = JWSAlgorithm(rawValue: value), enabled.contains(a) {
                // One new key per algorithm: a repeat would be a second key with the same kid.
                if algorithms.contains(a) { input.fail("algorithms", "'\(value)' is listed more than once"); continue }
                algorithms.append(a)
            } else {
                input.fail("algorithms", "'\(value)' is not enabled for this tenant")
            }
        }
        return algorithms
    }
}
