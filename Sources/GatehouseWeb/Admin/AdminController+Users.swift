import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Users and sessions of a tenant.
extension AdminController {
    // MARK: Users

    /// Users by id (oldest first), a page at a time (`limit`, `after`), optionally filtered by
    /// `email` (exact, normalized) or `q` (text in the email or name).
    func listUsers(_ request: Request, _ context: TenantContext) async throws -> Response {
        let page = try AdminPageRequest(request)
        let after = try page.cursor(UserID.init(rawValue:))
        var email: String?
        if let raw = try AdminListFilter.value(of: "email", in: request) {
            guard let normalized = EmailAddress.normalize(raw) else {
                throw ProblemDetails.validation([.init(field: "email", message: "is not an email address")])
            }
            email = normalized
        }
        let query = try AdminListFilter.value(of: "q", in: request)
        if let query, query.unicodeScalars.count > 200 || query.utf8.contains(0) {
            throw ProblemDetails.validation([.init(field: "q", message: "must be at most 200 characters, without U+0000")])
        }
        let db = context.database
        let users = try await db.listUsers(limit: page.limit + 1, after: after, email: email, query: query)
        return Responses.json(page.page("users", users.map { UserView($0, admin: true) }, cursor: \.id), noStore: true, sorted: true)
    }

    func createUser(_ request: Request, _ context: TenantContext) async throws -> Response {
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        let user = try await newUser(&input, in: context.database)
        try input.check()
        guard let user else { throw ProblemDetails.validation(input.errors) }
        AuditRecorder.identify(target: user.id.rawValue)
        try await context.database.insertUser(user)
        return created(UserView(user, admin: true))
    }

    /// The user a create body describes (`email`, `password`, `name`, `email_verified`,
    /// `public_metadata`, `private_metadata`, `phone_number`, `phone_number_verified`, `address`),
    /// its password hashed; nil when `input` collected a
    /// problem (every problem at once, docs/architecture.md H20). Shared by the admin API and the
    /// admin console's user form.
    /// - Throws: `StoreError.conflict` when a user of the tenant has this email; `ThreadPool.Busy`
    ///   when no thread is free to hash the password.
    func newUser(_ input: inout JSONInput, in db: any TenantHandle) async throws -> User? {
        input.rejectUnknown([
            "email", "password", "name", "email_verified", "public_metadata", "private_metadata", "phone_number", "phone_number_verified",
            "address",
        ])
        let (email, password, name) = Self.newUserFields(&input, passwordRequired: false)
        let verified = input.bool("email_verified") ?? false
        let publicMetadata = Self.metadata(&input, "public_metadata") ?? [:]
        let privateMetadata = Self.metadata(&input, "private_metadata") ?? [:]
        var profile = User(
            id: .generate(at: services.clock.now), email: "", emailVerified: false, name: nil, passwordHash: nil, createdAt: .now, updatedAt: .now)
        Self.applyProfileFields(&input, to: &profile)
        guard input.errors.isEmpty, let email else { return nil }
        if try await db.user(email: email) != nil { throw StoreError.conflict("a user with this email already exists") }
        var hash: String?
        if let password { hash = try await services.passwords.hash(password) }
        let now = services.clock.now
        return User(
            id: .generate(at: now), email: email, emailVerified: verified, name: name, passwordHash: hash,
            publicMetadata: publicMetadata, privateMetadata: privateMetadata, phoneNumber: profile.phoneNumber,
            phoneNumberVerified: profile.phoneNumberVerified, address: profile.address, createdAt: now, updatedAt: now)
    }

    /// The `email` (normalized), `password` and `name` of a new user, checked by the password
    /// policy (NIST SP 800-63B §5.1.1.2: 8 to 256 characters, no composition rules); problems are
    /// collected in `input`. Shared by users and operators (`AdminController+Operators`).
    static func newUserFields(_ input: inout JSONInput, passwordRequired: Bool) -> (email: String?, password: String?, name: String?) {
        let email = input.string("email", required: true, maxLength: 254).flatMap { raw -> String? in
            guard let normalized = EmailAddress.normalize(raw) else { input.fail("email", "is not an email address"); return nil }
            return normalized
        }
        let password = input.string("password", required: passwordRequired, maxLength: 10_000)
        if let password {
            let length = password.unicodeScalars.count
            if length < 8 { input.fail("password", "must be at least 8 characters") }
            if length > 256 { input.fail("password", "must be at most 256 characters") }
        }
        let name = input.string("name", maxLength: 10_000)
        if let name, let problem = DisplayName.problem(name) { input.fail("name", problem) }
        return (email, password, name)
    }

    func showUser(_ context: TenantContext) async throws -> Response {
        let db = context.database
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw), let user = try await db.user(id: id) else {
            throw ProblemDetails.notFound("no user with this id in this tenant")
        }
        return Responses.json(UserView(user, admin: true), noStore: true, sorted: true)
    }

    func findUser(_ context: TenantContext) async throws -> (any TenantHandle, User) {
        let db = context.database
        guard let raw = context.parameters.get("user"), let id = UserID(rawValue: raw), let user = try await db.user(id: id) else {
            throw ProblemDetails.notFound("no user with this id in this tenant")
        }
        return (db, user)
    }

    /// PATCH a user: `email`, `name`, `email_verified`, `disabled`, `password`, `public_metadata`,
    /// `private_metadata` (each replaced whole; `null` makes it `{}`), `phone_number`,
    /// `phone_number_verified`, `address` (``applyProfileFields(_:to:)``). Disabling a user or
    /// setting a new password ends their sessions and revokes their grants.
    func updateUser(_ request: Request, _ context: TenantContext) async throws -> Response {
        let (db, original) = try await findUser(context)
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        var user = original
        let password = applyUserPatch(&input, to: &user)
        try input.check()
        let saved = try await saveUser(user, original: original, password: password, in: db)
        return Responses.json(UserView(saved, admin: true), noStore: true, sorted: true)
    }

    /// Reads a PATCH body's fields into `user` (`email`, `name`, `email_verified`, `disabled`,
    /// `public_metadata`, `private_metadata`; `null` removes the name and empties metadata;
    /// `phone_number`, `phone_number_verified`, `address`, ``applyProfileFields(_:to:)``),
    /// collecting every problem in `input`. Shared by the admin API and the admin console.
    /// - Returns: the new password (8–256 characters) when the body sets one.
    func applyUserPatch(_ input: inout JSONInput, to user: inout User) -> String? {
        let original = user
        input.rejectUnknown([
            "email", "name", "email_verified", "disabled", "password", "public_metadata", "private_metadata", "phone_number",
            "phone_number_verified", "address",
        ])
        Self.applyProfileFields(&input, to: &user)
        if let raw = input.string("email", maxLength: 254) {
            if let email = EmailAddress.normalize(raw) { user.email = email } else { input.fail("email", "is not an email address") }
        }
        // JSON merge patch (RFC 7396 §2): `null` removes the name.
        if input.isNull("name") {
            user.name = nil
        } else if let name = input.string("name", maxLength: 10_000) {
            if let problem = DisplayName.problem(name) { input.fail("name", problem) } else { user.name = name }
        }
        // A new address has not been verified: unless this request says otherwise, it is not.
        if user.email != original.email { user.emailVerified = false }
        if let verified = input.bool("email_verified") { user.emailVerified = verified }
        if let disabled = input.bool("disabled") { user.disabled = disabled }
        for key in ["public_metadata", "private_metadata"] where input.isNull(key) {
            if key == "public_metadata" { user.publicMetadata = [:] } else { user.privateMetadata = [:] }
        }
        if !input.isNull("public_metadata"), let metadata = Self.metadata(&input, "public_metadata") { user.publicMetadata = metadata }
        if !input.isNull("private_metadata"), let metadata = Self.metadata(&input, "private_metadata") { user.privateMetadata = metadata }
        let password = input.string("password", maxLength: 10_000)
        if let password, !(8...256).contains(password.unicodeScalars.count) { input.fail("password", "must be 8–256 characters") }
        return password
    }

    /// Stores `user` as changed by ``applyUserPatch(_:to:)``: a new password is hashed and ends
    /// the user's sessions and grants; disabling does the same (`AccountStore.updateUser`).
    /// - Returns: the user as stored.
    /// - Throws: `StoreError.conflict` when the new email is another user's.
    @discardableResult
    func saveUser(_ user: User, original: User, password: String?, in db: any TenantHandle) async throws -> User {
        var user = user
        if user.email != original.email, try await db.user(email: user.email) != nil {
            throw StoreError.conflict("a user with this email already exists")
        }
        if let password { user.passwordHash = try await services.passwords.hash(password) }
        let now = services.clock.now
        try await db.updateUser(user, at: now)
        if password != nil, !user.disabled { try await db.revokeEverything(of: user.id, at: now) }
        return user
    }

    func deleteUser(_ context: TenantContext) async throws -> Response {
        let (db, user) = try await findUser(context)
        try await db.deleteUser(user.id, at: services.clock.now)
        services.logouts.wake()
        return Response(status: .noContent)
    }

    /// Active sessions, newest first, a page at a time (`limit`, `after`), optionally `?user_id=usr_…`.
    func listSessions(_ request: Request, _ context: TenantContext) async throws -> Response {
        let db = context.database
        var userID: UserID?
        if let raw = try AdminListFilter.value(of: "user_id", in: request) {
            guard let id = UserID(rawValue: raw) else { throw ProblemDetails.validation([.init(field: "user_id", message: "is not a user id (usr_…)")]) }
            userID = id
        }
        let page = try AdminPageRequest(request)
        let before = try page.cursor(SessionID.init(rawValue:))
        let sessions = try await db.activeSessions(userID: userID, at: services.clock.now, limit: page.limit + 1, before: before)
        return Responses.json(page.page("sessions", sessions.map { SessionView($0, device: true) }, cursor: \.id), noStore: true, sorted: true)
    }

    /// Ends a session and revokes its grants (those without offline_access).
    func revokeSession(_ context: TenantContext) async throws -> Response {
        let db = context.database
        guard let raw = context.parameters.get("session"), let id = SessionID(rawValue: raw), try await db.session(id: id) != nil else {
            throw ProblemDetails.notFound("no session with this id in this tenant")
        }
        try await db.endSession(id: id, at: services.clock.now)
        services.logouts.wake()
        return Response(status: .noContent)
    }

    struct KeyView: Encodable {
        let kid: String
        let algorithm: String
        let status: String
        let createdAt: Date
        let activatesAt: Date
        let retiresAt: Date?
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case kid, algorithm, status
            case createdAt = "created_at"
            case activatesAt = "activates_at"
            case retiresAt = "retires_at"
            case expiresAt = "expires_at"
        }

        init(_ r: SigningKeyRecord, now: Date) {
            kid = r.kid
            algorithm = r.algorithm
            status = r.status(at: now).rawValue
            createdAt = r.createdAt
            activatesAt = r.activatesAt
            retiresAt = r.retiresAt
            expiresAt = r.expiresAt
        }
    }
}
