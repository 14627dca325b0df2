import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import Logging
import Synchronization

/// Entries of a tenant's audit log written by the data plane (sign-ins, account changes), after
/// the change they describe committed. Admin API changes are recorded by `AdminAuditRecording`.
extension Services {
    /// Appends `draft` to the tenant's audit log; a failure is logged (by type, never data), not thrown:
    /// the change it describes has already happened.
    func audit(_ draft: AuditDraft, in database: any TenantHandle) async {
        let now = clock.now
        do {
            try await database.appendAudit(draft, at: now)
        } catch {
            logger.error("audit entry not recorded", metadata: ["type": "\(draft.type)", "tenant": "\(database.tenant.slug)", "error": "\(error)"])
            return
        }
        // Retention (`audit_retention_days`): at most one pruning pass per tenant and hour, on
        // this node, run by the append that finds it due.
        let tenant = database.tenant.id
        let due = auditPruning.last.withLock { last in
            guard last[tenant].map({ now.timeIntervalSince($0) >= 3600 }) ?? true else { return false }
            if last.count > 50_000 { last.removeAll() }
            last[tenant] = now
            return true
        }
        guard due else { return }
        let days = database.tenant.tenant.settings.auditRetentionDays
        do {
            let pruned = try await database.pruneAudit(before: now.addingTimeInterval(-Double(days) * 86400), at: now)
            if pruned > 0 { logger.info("audit entries pruned", metadata: ["tenant": "\(database.tenant.slug)", "count": "\(pruned)"]) }
        } catch {
            logger.error("audit pruning failed", metadata: ["tenant": "\(database.tenant.slug)", "error": "\(error)"])
        }
    }

    /// `user.signed_in` for a committed sign-in: the session, its `amr`, the address and user agent.
    func auditSignIn(_ change: SessionChange, userID: UserID, ip: String?, userAgent: String?, in database: any TenantHandle) async {
        let (sessionID, amr): (SessionID, [String]) =
            switch change {
            case .start(let session): (session.id, session.amr)
            case .reauthenticate(let id, _, _, let amr, _): (id, amr)
            }
        let data: JSONValue = .object([
            "session_id": .string(sessionID.rawValue), "amr": .array(amr.map(JSONValue.string)),
            "reauthentication": .bool({ if case .reauthenticate = change { true } else { false } }()),
        ])
        await audit(
            AuditDraft(
                type: "user.signed_in", actor: .user(userID), targetType: "session", targetID: sessionID.rawValue,
                userID: userID.rawValue, ip: ip, userAgent: userAgent.map { String($0.prefix(256)) }, data: data),
            in: database)
    }

    /// An account change a signed-in user made themselves (`user.password_changed`,
    /// `user.mfa_enabled`, `session.revoked`…), from the request's address and user agent.
    func auditAccount(
        _ type: String, user: UserID, target: (type: String, id: String)? = nil, data: JSONValue = .object([:]), _ request: Request,
        _ context: TenantRequestContext
    ) async {
        await audit(
            AuditDraft(
                type: type, actor: .user(user), targetType: target?.type ?? "user", targetID: target?.id ?? user.rawValue,
                userID: user.rawValue, ip: context.remoteAddress, userAgent: request.headers[.userAgent].map { String($0.prefix(256)) },
                data: data),
            in: context.database)
    }
}

extension Services {
    /// An operator's change to a tenant from the admin console (`tenant.created`,
    /// `tenant.updated`, `tenant.deleted`): recorded in the operators' directory's own audit log,
    /// the instance-level record of operator actions, and (while the tenant exists) in the
    /// tenant's log too. `changes` names the settings sent, never their values.
    func auditOperator(
        _ type: String, tenant: ResolvedTenant, operator user: User, directory: any TenantHandle, changes: [String] = [],
        tenantDatabase: (any TenantHandle)?, _ request: Request, _ context: AppRequestContext
    ) async {
        let draft = AuditDraft(
            type: type, actor: AuditActor(type: "operator", id: user.id.rawValue), targetType: "tenant", targetID: tenant.id.rawValue,
            ip: context.remoteAddress, userAgent: request.headers[.userAgent].map { String($0.prefix(256)) },
            data: .object(["slug": .string(tenant.slug), "operator_email": .string(user.email)]), changes: changes)
        await audit(draft, in: directory)
        if let tenantDatabase { await audit(draft, in: tenantDatabase) }
    }
}

/// When this node last pruned each tenant's audit log.
final class AuditPruningSchedule: Sendable {
    let last = Mutex<[TenantID: Date]>([:])
}
