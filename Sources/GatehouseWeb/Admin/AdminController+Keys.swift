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
        let db = context.database
        let now = services.clock.now
        _ = try await db.keyRing(at: now)
        struct List: Encodable { let keys: [KeyView] }
        let keys = try await db.signingKeyRecords().filter { $0.status(at: now) != .expired }
        return Responses.json(List(keys: keys.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }

    /// Starts a rotation: `{"algorithms": [...]}` (default: every enabled algorithm).
    func rotateKeys(_ request: Request, _ context: TenantContext) async throws -> Response {
        let tenant = context.tenant
        var algorithms = tenant.tenant.settings.signingAlgorithms
        if request.headers[.contentType] != nil {
            var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
            input.rejectUnknown(["algorithms"])
            if let raw = input.strings("algorithms") {
                algorithms = []
                for value in raw {
                    if let a = JWSAlgorithm(rawValue: value), tenant.tenant.settings.signingAlgorithms.contains(a) {
                        // One new key per algorithm: a repeat would be a second key with the same kid.
                        if algorithms.contains(a) { input.fail("algorithms", "'\(value)' is listed more than once"); continue }
                        algorithms.append(a)
                    } else {
                        input.fail("algorithms", "'\(value)' is not enabled for this tenant")
                    }
                }
            }
            try input.check()
        }
        let now = services.clock.now
        let db = context.database
        let rotated = try await db.rotateSigningKeys(algorithms: algorithms, at: now)
        struct Rotation: Encodable { let keys: [KeyView] }
        return Responses.json(Rotation(keys: rotated.map { KeyView($0, now: now) }), noStore: true, sorted: true)
    }
}
