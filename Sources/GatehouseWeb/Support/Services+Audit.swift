import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import Logging
import Synchronization

/// Entries of a tenant's audit log written by the data plane (sign-ins, account changes). A change
/// and its entries commit in the same write transaction (`AuditRecorder`), so that a rolled-back
/// change has no entry (and no webhook event) and a crash keeps both or neither. Admin API changes
/// are recorded by `AdminAuditRecording`.
extension Services {
    /// Runs `change` so that `drafts` are appended to the tenant's audit log in its first write
    /// transaction that changes something (`AuditRecorder/recording`): when `change` throws,
    /// nothing is recorded; when it returns a value `keepIf` accepts without having written, the
    /// drafts are appended on their own. Inside a change already being recorded (an admin API
    /// request, `AdminAuditRecording`), that change's entry describes it and `drafts` are dropped.
    /// - Returns: what `change` returned.
    @discardableResult
    func audited<T: Sendable>(
        _ drafts: [AuditDraft], in database: any TenantHandle, keepIf: (T) -> Bool = { _ in true },
        _ change: () async throws -> T
    ) async throws -> T {
        if AuditRecorder.pending != nil { return try await change() }
        let (result, recorded) = try await AuditRecorder.recording(drafts, in: database, at: clock.now, keepIf: keepIf, change)
        if recorded { await afterAudit(in: database) }
        return result
    }

    /// Appends `draft` to the tenant's audit log on its own (an event that changes nothing else,
    /// such as a refused sign-in); a failure is logged (by type, never data), not thrown.
    func audit(_ draft: AuditDraft, in database: any TenantHandle) async {
        do {
            try await database.appendAudit(draft, at: clock.now)
        } catch {
            logger.error("audit entry not recorded", metadata: ["type": "\(draft.type)", "tenant": "\(database.tenant.slug)", "error": "\(error)"])
            return
        }
        await afterAudit(in: database)
    }

    /// After entries were committed: wakes the webhook worker, and prunes the log when due.
    func afterAudit(in database: any TenantHandle) async {
        webhooks.wake()
        let now = clock.now
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

    /// The entries of a sign-in (`user.signed_in`, and `session.created` for a new session): the
    /// session, its `amr`, the address and user agent; recorded with the write that signs in.
    func signInDrafts(_ change: SessionChange, userID: UserID, ip: String?, userAgent: String?) -> [AuditDraft] {
        let (sessionID, amr): (SessionID, [String]) =
            switch change {
            case .start(let session): (session.id, session.amr)
            case .reauthenticate(let id, _, _, let amr, _): (id, amr)
            }
        let reauthentication: Bool = { if case .reauthenticate = change { true } else { false } }()
        let data: JSONValue = .object([
            "session_id": .string(sessionID.rawValue), "amr": .array(amr.map(JSONValue.string)), "reauthentication": .bool(reauthentication),
        ])
        let agent = userAgent
        var drafts = [
            AuditDraft(
                type: "user.signed_in", actor: .user(userID), targetType: "session", targetID: sessionID.rawValue, userID: userID.rawValue,
                ip: ip, userAgent: agent, data: data)
        ]
        if case .start(let session) = change {
            drafts.append(
                AuditDraft(
                    type: "session.created", actor: .user(userID), targetType: "session", targetID: session.id.rawValue,
                    userID: userID.rawValue, ip: ip, userAgent: agent,
                    data: .object([
                        "id": .string(session.id.rawValue), "user_id": .string(userID.rawValue), "amr": .array(amr.map(JSONValue.string)),
                        "expires_at": .string(session.expiresAt.formatted(.iso8601)),
                    ])))
        }
        return drafts
    }

    /// Runs `change`, an account change a signed-in user makes themselves (`user.password_changed`,
    /// `user.mfa_enabled`, `session.revoked`…), recording it from the request's address and user
    /// agent in the same transaction (``audited(_:in:keepIf:_:)``).
    @discardableResult
    func auditedAccount<T: Sendable>(
        _ type: String, user: UserID, target: (type: String, id: String)? = nil, data: JSONValue = .object([:]), _ request: Request,
        _ context: TenantRequestContext, keepIf: (T) -> Bool = { _ in true }, _ change: () async throws -> T
    ) async throws -> T {
        let draft = AuditDraft(
            type: type, actor: .user(user), targetType: target?.type ?? "user", targetID: target?.id ?? user.rawValue,
            userID: user.rawValue, ip: context.remoteAddress, userAgent: request.headers[.userAgent],
            data: data)
        return try await audited([draft], in: context.database, keepIf: keepIf, change)
    }
}

extension Services {
    /// An operator's change to a tenant from the admin console (`tenant.created`,
    /// `tenant.updated`, `tenant.deleted`): recorded in the operators' directory's own audit log,
    /// the instance-level record of operator actions, and (while the tenant exists) in the
    /// tenant's log too. `changes` names the settings sent, never their values.
    func auditOperator(
        _ type: String, tenant: ResolvedTenant, operator user: User, actor: AuditActor, directory: (any TenantHandle)?, changes: [String] = [],
        tenantDatabase: (any TenantHandle)?, _ request: Request, _ context: AppRequestContext
    ) async {
        let draft = AuditDraft(
            type: type, actor: actor, targetType: "tenant", targetID: tenant.id.rawValue,
            ip: context.remoteAddress, userAgent: request.headers[.userAgent],
            data: .object(["slug": .string(tenant.slug), "\(actor.type == "operator" ? "operator" : "user")_email": .string(user.email)]),
            changes: changes)
        if let directory { await audit(draft, in: directory) }
        if let tenantDatabase { await audit(draft, in: tenantDatabase) }
    }
}

/// When this node last pruned each tenant's audit log.
final class AuditPruningSchedule: Sendable {
    let last = Mutex<[TenantID: Date]>([:])
}

extension Services {
    /// An entry about `user` made by the data plane (`user.created`, `user.email_verified`…),
    /// by the user unless `actor` says otherwise; its data is the user's id, email, `email_verified`
    /// and name, with `extra` (such as the `method`).
    func userDraft(
        _ type: String, _ user: User, actor: AuditActor? = nil, ip: String?, userAgent: String?, extra: [String: JSONValue] = [:]
    ) -> AuditDraft {
        var data: [String: JSONValue] = [
            "id": .string(user.id.rawValue), "email": .string(user.email), "email_verified": .bool(user.emailVerified),
            "name": user.name.map(JSONValue.string) ?? .null,
        ]
        data.merge(extra) { _, new in new }
        return AuditDraft(
            type: type, actor: actor ?? .user(user.id), targetType: "user", targetID: user.id.rawValue, userID: user.id.rawValue, ip: ip,
            userAgent: userAgent, data: .object(data))
    }
}
