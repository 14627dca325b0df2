import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import GatehouseThreads

/// Throttled attempts whose counters live in memory and in the tenant's `sign_in_failures` table.
extension Services {
    /// Runs one throttled check of a password or code for `account` from `ip`.
    ///
    /// The attempt is counted before `body` runs (in flight, it counts as a failure), so parallel
    /// guesses cannot exceed the limit. `body` sets the outcome; it starts as `initial` and is also
    /// what counts when `body` throws. The counters are read from the tenant's database on first use
    /// after a start and written back after every attempt.
    /// - Throws: `SignInThrottle.Refused` (answer 429 with `Retry-After`) before `body` runs, or
    ///   what `body` throws.
    func throttled<T>(
        _ throttle: SignInThrottle, account: String, ip: String?, database: any TenantHandle,
        initial: SignInThrottle.Outcome, _ body: (inout SignInThrottle.Outcome) async throws -> T
    ) async throws -> T {
        let tenant = database.tenant.id
        let missing = throttle.unloaded(throttle.keys(tenant: tenant, account: account, ip: ip))
        if !missing.isEmpty {
            let records = try await database.signInFailures(keys: missing.map(throttle.storageKey))
            throttle.load(missing, records: Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }), now: clock.now)
        }
        let method = throttle.kind == "pwd" ? "password" : "second_factor"
        let ticket: SignInThrottle.Ticket
        do {
            ticket = try throttle.begin(tenant: tenant, account: account, ip: ip, now: clock.now)
        } catch {
            await auditFailure(method: method, account: account, ip: ip, reason: "throttled", database: database)
            GatehouseMetrics.shared.signIn(method: method, outcome: "throttled")
            GatehouseMetrics.shared.throttleRefusal(kind: throttle.kind == "pwd" ? "sign_in" : "second_factor")
            throw error
        }
        var outcome = initial
        do {
            let result = try await body(&outcome)
            await record(ticket, outcome: outcome, throttle: throttle, database: database)
            if outcome == .failure { await auditFailure(method: method, account: account, ip: ip, reason: "invalid", database: database) }
            GatehouseMetrics.shared.signIn(method: method, outcome: Self.metricOutcome(outcome))
            return result
        } catch {
            await record(ticket, outcome: outcome, throttle: throttle, database: database)
            if outcome == .failure { await auditFailure(method: method, account: account, ip: ip, reason: "invalid", database: database) }
            GatehouseMetrics.shared.signIn(method: method, outcome: error is ThreadPool.Busy ? "busy" : Self.metricOutcome(outcome))
            throw error
        }
    }

    /// `user.sign_in_failed` (docs/contract.md A9): the method, the account as typed (an email
    /// address, or the user id for a second factor), the reason (`invalid`, `throttled`).
    private func auditFailure(method: String, account: String, ip: String?, reason: String, database: any TenantHandle) async {
        let userID = UserID(rawValue: account)
        await audit(
            AuditDraft(
                type: "user.sign_in_failed", actor: userID.map(AuditActor.user) ?? AuditActor(type: "anonymous"),
                targetType: "user", targetID: userID?.rawValue, userID: userID?.rawValue, ip: ip,
                data: .object(["method": .string(method), "account": .string(String(account.prefix(254))), "reason": .string(reason)])),
            in: database)
    }

    private static func metricOutcome(_ outcome: SignInThrottle.Outcome) -> String {
        switch outcome {
        case .success: "success"
        case .failure: "failure"
        case .abandoned: "busy"
        }
    }

    private func record(
        _ ticket: SignInThrottle.Ticket, outcome: SignInThrottle.Outcome, throttle: SignInThrottle,
        database: any TenantHandle
    ) async {
        let changes = throttle.finish(ticket, outcome: outcome, now: clock.now)
        guard !changes.save.isEmpty || !changes.clear.isEmpty else { return }
        do {
            try await database.saveSignInFailures(changes.save, cleared: changes.clear)
        } catch {
            logger.error("could not persist sign-in failure counters", metadata: ["error": "\(error)"])
        }
    }
}
