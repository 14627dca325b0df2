import Foundation
import GatehouseCrypto

/// Who made an audited change (docs/contract.md A9): `type` is `admin_token` (the instance admin
/// token), `client` (a tenant's admin client, `id` its `client_id`), `user` (an end user, `id`
/// `usr_…`), `operator` or `system`.
public struct AuditActor: Sendable, Equatable, Codable {
    public var type: String
    public var id: String?

    public init(type: String, id: String? = nil) {
        self.type = type
        self.id = id
    }

    public static let adminToken = AuditActor(type: "admin_token")
    public static let system = AuditActor(type: "system")
    public static func client(_ clientID: String) -> AuditActor { AuditActor(type: "client", id: clientID) }
    public static func user(_ id: UserID) -> AuditActor { AuditActor(type: "user", id: id.rawValue) }
}

/// An audit entry before it joins its tenant's chain: what happened, to what, by whom, from where.
public struct AuditDraft: Sendable, Equatable {
    /// A dotted noun (`user.created`, `user.sign_in_failed`, `client.rotate_secret`).
    public var type: String
    public var actor: AuditActor
    public var targetType: String?
    public var targetID: String?
    /// The user and organization the entry concerns, for filtering.
    public var userID: String?
    public var organizationID: String?
    /// The client's address as resolved through trusted proxies, and its `User-Agent` (at most
    /// ``maxUserAgentLength`` characters; a longer one is cut at initialisation).
    public var ip: String?
    public var userAgent: String?
    /// Characters of a `User-Agent` kept in an entry.
    public static let maxUserAgentLength = 256
    /// The affected resource as the admin API shows it, secrets removed (``AuditRedaction``); `{}` when none.
    public var data: JSONValue
    /// The names of the fields a change sent (never their values).
    public var changes: [String]

    public init(
        type: String, actor: AuditActor, targetType: String? = nil, targetID: String? = nil, userID: String? = nil,
        organizationID: String? = nil, ip: String? = nil, userAgent: String? = nil, data: JSONValue = .object([:]),
        changes: [String] = []
    ) {
        self.type = type
        self.actor = actor
        self.targetType = targetType
        self.targetID = targetID
        self.userID = userID
        self.organizationID = organizationID
        self.ip = ip
        self.userAgent = userAgent.map { String($0.prefix(Self.maxUserAgentLength)) }
        self.data = data
        self.changes = changes
    }
}

/// One entry of a tenant's audit log: a draft with its place in the hash chain.
public struct AuditEvent: Sendable, Equatable {
    /// 1, 2, 3… in the order of the chain.
    public var sequence: Int64
    /// `evt_<ULID>`.
    public var id: String
    /// Milliseconds since 1970 (UTC).
    public var occurredAtMilliseconds: Int64
    public var draft: AuditDraft
    /// The data as stored (JSON text, sorted keys): the hash covers these bytes.
    public var dataText: String
    /// Lowercase hex SHA-256 of the previous entry's canonical form (64 zeros for the first).
    public var previousHash: String
    /// Lowercase hex SHA-256 of this entry's canonical form (``AuditChain/canonicalForm(of:)``).
    public var hash: String

    public init(
        sequence: Int64, id: String, occurredAtMilliseconds: Int64, draft: AuditDraft, dataText: String, previousHash: String,
        hash: String
    ) {
        self.sequence = sequence
        self.id = id
        self.occurredAtMilliseconds = occurredAtMilliseconds
        self.draft = draft
        self.dataText = dataText
        self.previousHash = previousHash
        self.hash = hash
    }

    public var occurredAt: Date { Date(timeIntervalSince1970: TimeInterval(occurredAtMilliseconds) / 1000) }
}

/// The state of a tenant's chain: its last entry and, after pruning, the last entry removed.
public struct AuditChainState: Sendable, Equatable {
    /// The last entry's sequence and hash (0 and ``AuditChain/genesis`` when empty).
    public var headSequence: Int64
    public var headHash: String
    /// The last pruned entry's sequence and hash (0 and ``AuditChain/genesis`` when none was pruned).
    public var anchorSequence: Int64
    public var anchorHash: String

    public init(headSequence: Int64, headHash: String, anchorSequence: Int64, anchorHash: String) {
        self.headSequence = headSequence
        self.headHash = headHash
        self.anchorSequence = anchorSequence
        self.anchorHash = anchorHash
    }

    public static let empty = AuditChainState(
        headSequence: 0, headHash: AuditChain.genesis, anchorSequence: 0, anchorHash: AuditChain.genesis)
}

/// Filters of `GET /admin/v1/tenants/{slug}/audit` (docs/contract.md A9); nil matches everything.
public struct AuditQuery: Sendable, Equatable {
    public var since: Date?
    public var until: Date?
    public var actorID: String?
    public var type: String?
    public var userID: String?
    public var organizationID: String?
    /// Entries about this target: its kind (`user`, `client`, `template`…) and id.
    public var targetType: String?
    public var targetID: String?
    /// Newest first: entries with a sequence below `before` (the cursor).
    public var before: Int64?
    public var limit: Int

    public init(
        since: Date? = nil, until: Date? = nil, actorID: String? = nil, type: String? = nil, userID: String? = nil,
        organizationID: String? = nil, targetType: String? = nil, targetID: String? = nil, before: Int64? = nil, limit: Int = 50
    ) {
        self.targetType = targetType
        self.targetID = targetID
        self.since = since
        self.until = until
        self.actorID = actorID
        self.type = type
        self.userID = userID
        self.organizationID = organizationID
        self.before = before
        self.limit = limit
    }
}

/// The hash chain of an audit log (docs/architecture.md, Audit log).
public enum AuditChain {
    /// The previous hash of the first entry: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// The event type pruning appends: its data names the last pruned entry.
    public static let checkpointType = "audit.checkpoint"

    /// The entry pruning appends after deleting `count` entries through `sequence` (whose hash the
    /// first remaining entry carries as its previous hash).
    public static func checkpoint(throughSequence sequence: Int64, hash: String, count: Int) -> AuditDraft {
        AuditDraft(
            type: checkpointType, actor: .system,
            data: .object([
                "pruned_through_sequence": .number(Double(sequence)), "pruned_through_hash": .string(hash),
                "pruned_count": .number(Double(count)),
            ]))
    }

    /// The canonical form the hash covers: a JSON array of the entry's fields in a fixed order,
    /// `[sequence, id, occurred_at_ms, type, actor_type, actor_id, target_type, target_id, user_id,
    /// organization_id, ip, user_agent, data, changes, previous_hash]`, where `data` is the stored
    /// JSON text as a string, integers are decimal, absent values are `null`, and strings escape
    /// only `"`, `\\` and U+0000…U+001F (as `\\u00XX`); no spaces. Written here, not by a JSON
    /// encoder, so that the bytes never change with a library version.
    public static func canonicalForm(of e: AuditEvent) -> String {
        let d = e.draft
        let strings: [String?] = [
            e.id, nil, d.type, d.actor.type, d.actor.id, d.targetType, d.targetID, d.userID, d.organizationID, d.ip, d.userAgent,
            e.dataText,
        ]
        var out = "[\(e.sequence)"
        for (index, value) in strings.enumerated() {
            out += ","
            if index == 1 { out += String(e.occurredAtMilliseconds) } else { out += quoted(value) }
        }
        out += ",[" + d.changes.map { quoted($0) }.joined(separator: ",") + "]," + quoted(e.previousHash) + "]"
        return out
    }

    /// A JSON string literal as the canonical form writes it, or `null`.
    static func quoted(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Lowercase hex SHA-256 of `e`'s canonical form.
    public static func hash(of e: AuditEvent) -> String {
        Digest.sha256(canonicalForm(of: e)).map { String(format: "%02x", $0) }.joined()
    }

    /// Makes the entry that follows `state`'s head: sequence, id, previous hash and hash.
    public static func seal(_ draft: AuditDraft, after state: AuditChainState, at now: Date) -> AuditEvent {
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        var event = AuditEvent(
            sequence: state.headSequence + 1, id: "evt_" + ULID.make(at: now), occurredAtMilliseconds: millis, draft: draft,
            dataText: draft.data.sortedText, previousHash: state.headHash, hash: "")
        event.hash = hash(of: event)
        return event
    }

    /// What `verify` found: every entry chains (`firstProblem` nil), or the first that does not.
    public struct Verification: Sendable, Equatable {
        public var checked: Int
        public var firstProblem: Problem?

        public struct Problem: Sendable, Equatable {
            /// The sequence where the chain breaks, and the id found there (nil when missing).
            public var sequence: Int64
            public var id: String?
            /// `modified`, `inserted`, `deleted` or `truncated`.
            public var kind: String
            public var detail: String
        }

        public var ok: Bool { firstProblem == nil }

        public init(checked: Int, firstProblem: Problem?) {
            self.checked = checked
            self.firstProblem = firstProblem
        }
    }

    /// Checks a stretch of the chain, oldest first, continuing from `previous` (the anchor's
    /// sequence and hash for the first page). Returns the verification so far and the last
    /// entry's (sequence, hash) for the next page; stops at the first problem.
    public static func verify(
        _ events: [AuditEvent], after previous: (sequence: Int64, hash: String), checkedBefore: Int
    ) -> (Verification, last: (sequence: Int64, hash: String)) {
        var last = previous
        var checked = checkedBefore
        for e in events {
            if e.sequence > last.sequence + 1 {
                let problem = Verification.Problem(
                    sequence: last.sequence + 1, id: nil, kind: "deleted",
                    detail: "entries \(last.sequence + 1)…\(e.sequence - 1) are missing")
                return (Verification(checked: checked, firstProblem: problem), last)
            }
            if hash(of: e) != e.hash {
                let problem = Verification.Problem(
                    sequence: e.sequence, id: e.id, kind: "modified", detail: "the entry does not match its hash")
                return (Verification(checked: checked, firstProblem: problem), last)
            }
            if e.previousHash != last.hash {
                let problem = Verification.Problem(
                    sequence: e.sequence, id: e.id, kind: e.sequence == last.sequence + 1 ? "inserted" : "modified",
                    detail: "the entry does not follow the previous entry's hash")
                return (Verification(checked: checked, firstProblem: problem), last)
            }
            checked += 1
            last = (e.sequence, e.hash)
        }
        return (Verification(checked: checked, firstProblem: nil), last)
    }
}

/// Removes secrets from what the audit log keeps: members named like a secret, at any depth, and
/// the query values of members named `url` (a receiver's token in a webhook URL, say).
public enum AuditRedaction {
    /// Member names whose values are never kept.
    public static let secretNames: Set<String> = [
        "password", "client_secret", "secret", "token", "access_token", "refresh_token", "id_token", "private_key", "registration_access_token",
        "password_hash", "totp_secret", "recovery_codes", "code", "new_password", "current_password", "passphrase",
        // Admins only (docs/contract.md A9): never copied into the log, nor into webhook payloads.
        "private_metadata",
    ]

    /// `value` with every secret member replaced by `"[redacted]"`.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (name, member) in members {
                if secretNames.contains(name) {
                    out[name] = .string("[redacted]")
                } else if name == "url", case .string(let url) = member {
                    out[name] = .string(redactingQuery(of: url))
                } else {
                    out[name] = redact(member)
                }
            }
            return .object(out)
        case .array(let items): return .array(items.map(redact))
        default: return value
        }
    }

    /// `url` with the value of every query parameter replaced by `[redacted]` (names kept, so the
    /// entry still says which were sent; a parameter without a value is replaced whole), and any
    /// user name or password removed; a string that is not a URL with a query comes back
    /// unchanged. A secret in the path (`/services/T0/B0/…`) cannot be told from a path and stays.
    public static func redactingQuery(of url: String) -> String {
        guard var parts = URLComponents(string: url), parts.query != nil || parts.user != nil || parts.password != nil else { return url }
        parts.user = nil
        parts.password = nil
        // A parameter without a value may be the secret itself (`?tok_…`): its name goes too.
        parts.queryItems = parts.queryItems?.map { URLQueryItem(name: $0.value == nil ? "[redacted]" : $0.name, value: $0.value == nil ? nil : "[redacted]") }
        return parts.string ?? url
    }
}

extension AuditDraft {
    /// A `membership.*` entry: the user's membership of the organization with its role.
    public static func membership(
        _ type: String, organization: OrganizationID, user: UserID, role: String?, actor: AuditActor, ip: String?
    ) -> AuditDraft {
        var data: [String: JSONValue] = ["organization_id": .string(organization.rawValue), "user_id": .string(user.rawValue)]
        if let role { data["role"] = .string(role) }
        return AuditDraft(
            type: type, actor: actor, targetType: "membership", targetID: user.rawValue, userID: user.rawValue,
            organizationID: organization.rawValue, ip: ip, data: .object(data))
    }
}
