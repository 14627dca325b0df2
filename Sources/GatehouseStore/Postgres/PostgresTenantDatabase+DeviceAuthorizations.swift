import Foundation
import GatehouseCore
import NIOCore
import PostgresNIO

extension DeviceAuthorization {
    /// nil for a row whose status or scope this version does not know.
    init?(postgres row: PostgresRow) throws {
        let r = PostgresRowReader(row)
        guard let status = Status(rawValue: try r("status")), let scope = try? ScopeSet(parsing: try r("scope", as: String.self)) else {
            return nil
        }
        self.init(
            deviceCodeHash: try r.bytes("device_code_hash") ?? [], userCodeHash: try r.bytes("user_code_hash") ?? [],
            clientID: try r("client_id"), scope: scope, status: status,
            grantID: try r("grant_id", as: String?.self).flatMap(GrantID.init(rawValue:)),
            interval: Int(try r("interval_seconds", as: Int64.self)), lastPolledAt: try r.optionalDate("last_polled_at"),
            expiresAt: try r.date("expires_at"), createdAt: try r.date("created_at"), redeemedAt: try r.optionalDate("redeemed_at"))
    }
}

/// Device authorizations (RFC 8628), as `TenantDatabase+DeviceAuthorizations.swift` on SQLite;
/// shared by every node. A decision is one conditional `UPDATE`; a poll locks its row
/// (`SELECT … FOR UPDATE`) and writes it back in the same transaction, so that of concurrent
/// polls on any node exactly one redeems an approved device code.
extension PostgresTenantDatabase: DeviceAuthorizationStore {
    public func insertDeviceAuthorization(_ a: DeviceAuthorization) async throws -> Bool {
        guard !Self.hasNUL(a.clientID) else { throw OAuthError.invalidRequest("client_id must not contain NUL characters") }
        do {
            try await Self.mapConflict("user code in use") {
                _ = try await query(
                    """
                    INSERT INTO \(unescaped: schema).device_authorizations (\(unescaped: DeviceAuthorization.columns))
                    VALUES (\(ByteBuffer(bytes: a.deviceCodeHash)), \(ByteBuffer(bytes: a.userCodeHash)), \(a.clientID),
                    \(a.scope.description), \(a.status.rawValue), \(a.grantID?.rawValue), \(Int64(a.interval)),
                    \(a.lastPolledAt.map(PostgresTimestamp.init)), \(PostgresTimestamp(a.expiresAt)), \(PostgresTimestamp(a.createdAt)),
                    \(a.redeemedAt.map(PostgresTimestamp.init)))
                    """)
            }
            return true
        } catch StoreError.conflict {
            return false
        }
    }

    public func pendingDeviceAuthorization(userCodeHash: [UInt8], now: Date) async throws -> DeviceAuthorization? {
        try await query(
            """
            SELECT \(unescaped: DeviceAuthorization.columns) FROM \(unescaped: schema).device_authorizations
            WHERE user_code_hash = \(ByteBuffer(bytes: userCodeHash)) AND status = 'pending' AND expires_at > \(PostgresTimestamp(now))
            """
        ).first.flatMap { try DeviceAuthorization(postgres: $0) }
    }

    public func decideDeviceAuthorization(userCodeHash: [UInt8], approving grant: Grant?, now: Date) async throws -> Bool {
        try await transaction { connection in
            let status = (grant == nil ? DeviceAuthorization.Status.denied : .approved).rawValue
            let decided = try await self.run(
                """
                UPDATE \(unescaped: self.schema).device_authorizations SET status = \(status), grant_id = \(grant?.id.rawValue)
                WHERE user_code_hash = \(ByteBuffer(bytes: userCodeHash)) AND status = 'pending'
                AND expires_at > \(PostgresTimestamp(now)) RETURNING client_id
                """, on: connection)
            guard !decided.isEmpty else { return false }
            if let grant {
                try await self.run(self.insert(into: "grants", columns: Grant.columns, values: grant.postgresValues), on: connection)
            }
            return true
        }
    }

    public func pollDeviceAuthorization(deviceCodeHash: [UInt8], clientID: String, now: Date) async throws -> DevicePoll {
        guard !Self.hasNUL(clientID) else { return .unknown }
        return try await transaction { connection in
            guard
                let row = try await self.run(
                    """
                    SELECT \(unescaped: DeviceAuthorization.columns) FROM \(unescaped: self.schema).device_authorizations
                    WHERE device_code_hash = \(ByteBuffer(bytes: deviceCodeHash)) FOR UPDATE
                    """, on: connection
                ).first,
                let record = try DeviceAuthorization(postgres: row)
            else { return .unknown }
            let (outcome, updated) = record.poll(clientID: clientID, now: now)
            if let updated {
                try await self.run(
                    """
                    UPDATE \(unescaped: self.schema).device_authorizations SET interval_seconds = \(Int64(updated.interval)),
                    last_polled_at = \(updated.lastPolledAt.map(PostgresTimestamp.init)),
                    redeemed_at = \(updated.redeemedAt.map(PostgresTimestamp.init))
                    WHERE device_code_hash = \(ByteBuffer(bytes: deviceCodeHash))
                    """, on: connection)
            }
            return outcome
        }
    }
}
