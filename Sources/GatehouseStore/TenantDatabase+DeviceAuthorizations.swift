import Foundation
import GatehouseCore
import GRDB

extension DeviceAuthorization {
    static let columns = """
        device_code_hash, user_code_hash, client_id, scope, status, grant_id, interval_seconds, last_polled_at, \
        expires_at, created_at, redeemed_at
        """

    /// nil for a row whose status or scope this version does not know.
    init?(row: Row) {
        guard let status = Status(rawValue: row["status"]), let scope = try? ScopeSet(parsing: row["scope"]) else { return nil }
        self.init(
            deviceCodeHash: Array(row["device_code_hash"] as Data), userCodeHash: Array(row["user_code_hash"] as Data),
            clientID: row["client_id"], scope: scope, status: status,
            grantID: (row["grant_id"] as String?).flatMap(GrantID.init(rawValue:)), interval: row["interval_seconds"],
            lastPolledAt: row.optionalDate("last_polled_at"), expiresAt: row.date("expires_at"), createdAt: row.date("created_at"),
            redeemedAt: row.optionalDate("redeemed_at"))
    }
}

/// Device authorizations (RFC 8628), until expired. SQLite has one writer, so reading a row and
/// writing it back inside one `pool.write` is atomic: a device code is redeemed once.
extension TenantDatabase: DeviceAuthorizationStore {
    public func insertDeviceAuthorization(_ a: DeviceAuthorization) async throws -> Bool {
        try await pool.write { db in
            do {
                try db.execute(
                    cached: "INSERT INTO device_authorizations (\(DeviceAuthorization.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    arguments: [
                        Data(a.deviceCodeHash), Data(a.userCodeHash), a.clientID, a.scope.description, a.status.rawValue,
                        a.grantID?.rawValue, a.interval, a.lastPolledAt, a.expiresAt, a.createdAt, a.redeemedAt,
                    ])
                return true
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                return false
            }
        }
    }

    public func pendingDeviceAuthorization(userCodeHash: [UInt8], now: Date) async throws -> DeviceAuthorization? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                cached: "SELECT \(DeviceAuthorization.columns) FROM device_authorizations WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?",
                arguments: [Data(userCodeHash), now]
            ).flatMap(DeviceAuthorization.init(row:))
        }
    }

    public func decideDeviceAuthorization(userCodeHash: [UInt8], approving grant: Grant?, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                cached: "UPDATE device_authorizations SET status = ?, grant_id = ? WHERE user_code_hash = ? AND status = 'pending' AND expires_at > ?",
                arguments: [
                    (grant == nil ? DeviceAuthorization.Status.denied : .approved).rawValue, grant?.id.rawValue, Data(userCodeHash), now,
                ])
            guard db.changesCount == 1 else { return false }
            if let grant {
                try db.execute(cached: "INSERT INTO grants (\(Grant.columns)) VALUES (\(Grant.placeholders))", arguments: grant.arguments)
            }
            return true
        }
    }

    public func pollDeviceAuthorization(deviceCodeHash: [UInt8], clientID: String, now: Date) async throws -> DevicePoll {
        try await pool.write { db in
            guard
                let record = try Row.fetchOne(
                    db, cached: "SELECT \(DeviceAuthorization.columns) FROM device_authorizations WHERE device_code_hash = ?",
                    arguments: [Data(deviceCodeHash)]
                ).flatMap(DeviceAuthorization.init(row:))
            else { return .unknown }
            let (outcome, updated) = record.poll(clientID: clientID, now: now)
            if let updated {
                try db.execute(
                    cached: "UPDATE device_authorizations SET interval_seconds = ?, last_polled_at = ?, redeemed_at = ? WHERE device_code_hash = ?",
                    arguments: [updated.interval, updated.lastPolledAt, updated.redeemedAt, Data(deviceCodeHash)])
            }
            return outcome
        }
    }
}
