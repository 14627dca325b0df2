import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Records every successful change made through the admin API on a tenant in that tenant's audit
/// log (docs/contract.md A9): one entry per request that changed something (POST, PUT, PATCH,
/// DELETE answered 2xx), typed from the route (`POST …/clients` → `client.created`, `POST
/// …/clients/{client}/rotate-secret` → `client.secret_rotated`), with the actor, the client's
/// address and user agent, the names of the fields sent and the answer's resource with secrets
/// redacted (`AuditRedaction`). The entry is appended once the change has committed; a refused
/// or failed request records nothing.
enum AdminAuditRecording {
    /// The entry's type and target kind for `method` on the route template `path`
    /// (`tenants/:slug/users/:user`), or nil for a read.
    static func classify(_ method: HTTPRequest.Method, path: String) -> (type: String, target: String, parameter: String?)? {
        guard [.post, .put, .patch, .delete].contains(method) else { return nil }
        let parts = path.split(separator: "/").map(String.init).filter { !$0.isEmpty }
        // After `tenants/:slug`: collections, their parameters and an optional trailing action.
        let rest = Array(parts.dropFirst(2))
        var resource = "tenant"
        var parameter: String? = rest.isEmpty ? "slug" : nil
        var action: String?
        for (index, part) in rest.enumerated() {
            if part.hasPrefix(":") || part.hasPrefix("{") {
                parameter = part.trimmingCharacters(in: CharacterSet(charactersIn: ":{}"))
            } else if index == rest.count - 1, actions[part] != nil {
                action = part
            } else {
                resource = nouns[part] ?? singular(part)
                parameter = nil
            }
        }
        let verb: String
        if let action {
            verb = actions[action] ?? action.replacingOccurrences(of: "-", with: "_")
        } else {
            switch method {
            case .post: verb = "created"
            case .delete: verb = resource == "session" ? "revoked" : "deleted"
            default: verb = "updated"
            }
        }
        return ("\(resource).\(verb)", resource, parameter)
    }

    static let nouns: [String: String] = [
        "members": "membership", "keys": "signing_key", "domains": "organization_domain", "sso": "organization_sso",
        "webhooks": "webhook_endpoint", "deliveries": "webhook_delivery", "audit": "audit",
    ]

    /// Trailing actions and the past tense the entry type uses.
    static let actions: [String: String] = [
        "rotate-secret": "secret_rotated", "rotate": "rotated", "verify": "verified", "revoke": "revoked", "resend": "resent",
        "test": "test_sent", "redeliver": "redelivered", "clone": "cloned", "export": "exported", "import": "imported",
    ]

    static func singular(_ noun: String) -> String {
        (noun.hasSuffix("s") ? String(noun.dropLast()) : noun).replacingOccurrences(of: "-", with: "_")
    }

    /// Runs `handler` and records the change it made, if any.
    static func recording(
        _ request: Request, method: HTTPRequest.Method, path: String, context: AdminController.TenantContext, services: Services,
        _ handler: (Request) async throws -> Response
    ) async throws -> Response {
        guard let kind = classify(method, path: path), kind.type != "tenant.deleted", kind.type != "audit.verified" else {
            return try await handler(request)
        }
        var request = request
        var changes: [String] = []
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("application/json"), let length = request.headers[.contentLength].flatMap(Int.init),
            length <= services.configuration.maxBodyBytes
        {
            let sent = try await request.collectBody(upTo: services.configuration.maxBodyBytes)
            if case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(sent.readableBytesView)) {
                changes = members.keys.sorted()
            }
        }
        var response = try await handler(request)
        guard (200..<300).contains(Int(response.status.code)) else { return response }
        var data = JSONValue.object([:])
        if response.headers[.contentType]?.hasPrefix("application/json") == true {
            let collector = BodyCollector()
            try await response.body.write(collector)
            response.body = .init(byteBuffer: collector.buffer)
            if let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(collector.buffer.readableBytesView)),
                case .object = decoded
            {
                data = AuditRedaction.redact(decoded)
            }
        }
        let targetID = kind.parameter.flatMap { context.parameters.get($0) } ?? data["id"]?.string ?? data["client_id"]?.string
        let draft = AuditDraft(
            type: kind.type, actor: actor(context.adminPrincipal), targetType: kind.target, targetID: targetID,
            userID: kind.target == "user" ? targetID : (context.parameters.get("user") ?? data["user_id"]?.string),
            organizationID: kind.target == "organization" ? data["id"]?.string : data["organization_id"]?.string,
            ip: context.base.remoteAddress, userAgent: request.headers[.userAgent].map { String($0.prefix(256)) }, data: data,
            changes: changes)
        await services.audit(draft, in: context.database)
        return response
    }

    static func actor(_ principal: AdminController.Principal?) -> AuditActor {
        switch principal {
        case .tenant(_, _, let clientID)?: return .client(clientID)
        default: return .adminToken
        }
    }

    /// Collects a response body to read it (admin answers are small JSON documents).
    final class BodyCollector: ResponseBodyWriter {
        var buffer = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws {
            var copy = buffer
            self.buffer.writeBuffer(&copy)
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
