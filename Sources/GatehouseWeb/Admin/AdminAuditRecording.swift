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
        "webhooks": "webhook_endpoint", "deliveries": "webhook_delivery", "audit": "audit", "versions": "template",
    ]

    /// Trailing actions and the past tense the entry type uses.
    static let actions: [String: String] = [
        "rotate-secret": "secret_rotated", "rotate": "rotated", "verify": "verified", "revoke": "revoked", "resend": "resent",
        "test": "test_sent", "redeliver": "redelivered", "clone": "cloned", "export": "exported", "import": "imported",
        "console-role": "console_role_changed", "restore": "restored",
    ]

    static func singular(_ noun: String) -> String {
        (noun.hasSuffix("s") ? String(noun.dropLast()) : noun).replacingOccurrences(of: "-", with: "_")
    }

    /// Runs `handler` so that the change it makes is recorded in the same write transaction
    /// (`AuditRecorder`): the entry is built before the change from the route, the path
    /// parameters and the fields sent (secrets redacted, `AuditRedaction`); a create names its new
    /// id with `AuditRecorder.identify(target:)`. A refused or failed request records nothing.
    /// Tenant settings live in the instance database, so `tenant.updated` is appended just after
    /// that change commits.
    static func recording(
        _ request: Request, method: HTTPRequest.Method, path: String, context: AdminController.TenantContext, services: Services,
        _ handler: (Request) async throws -> Response
    ) async throws -> Response {
        guard let kind = classify(method, path: path), kind.type != "tenant.deleted", kind.type != "audit.verified" else {
            return try await handler(request)
        }
        var request = request
        var sent = JSONValue.object([:])
        let type = request.headers[.contentType]?.lowercased() ?? ""
        // The JSON types `JSONInput` accepts, with or without a declared length (a chunked body was
        // already read within its limit by `RequestBodyLimitMiddleware`): whatever the handler
        // reads, the entry names.
        let declared = request.headers[.contentLength].flatMap(Int.init) ?? 0
        if type.hasPrefix("application/json") || type.hasPrefix("application/merge-patch+json"), declared <= services.configuration.maxBodyBytes {
            if let body = try? await request.collectBody(upTo: services.configuration.maxBodyBytes),
                let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)), case .object = decoded
            {
                sent = AuditRedaction.redact(decoded)
            }
        }
        var changes: [String] = []
        if case .object(let members) = sent { changes = members.keys.sorted() }
        // A template is named by its kind and name (`page/login`), as the API and console show it.
        let template = context.parameters.get("kind").flatMap { kind in context.parameters.get("name").map { "\(kind)/\($0)" } }
        let targetID =
            kind.target == "template"
            ? template
            : kind.parameter.flatMap { context.parameters.get($0) } ?? (kind.target == "membership" ? sent["user_id"]?.string : nil)
        var data = sent
        if let targetID, case .object(var members) = data, members["id"] == nil {
            members["id"] = .string(targetID)
            data = .object(members)
        }
        let draft = AuditDraft(
            type: kind.type, actor: actor(context.adminPrincipal), targetType: kind.target, targetID: targetID,
            userID: kind.target == "user" ? targetID : (context.parameters.get("user") ?? sent["user_id"]?.string),
            organizationID: kind.target == "organization" ? targetID : (context.parameters.get("org") ?? sent["organization_id"]?.string),
            ip: context.base.remoteAddress, userAgent: request.headers[.userAgent], data: data,
            changes: changes)
        let current = request
        return try await services.audited([draft], in: context.database, keepIf: { (200..<300).contains(Int($0.status.code)) }) {
            try await handler(current)
        }
    }

    static func actor(_ principal: AdminController.Principal?) -> AuditActor {
        switch principal {
        case .tenant(_, _, let clientID)?: return .client(clientID)
        default: return .adminToken
        }
    }
}
