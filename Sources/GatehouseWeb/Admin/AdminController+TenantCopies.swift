import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Logging
import Hummingbird
import NIOCore

/// A tenant as one file and tenant copies (docs/operations.md "A tenant as one file"): export to
/// an archive under a passphrase, import of an archive as a new tenant, and clone within the
/// instance, optionally without personal data. Instance admin only.
extension AdminController {
    /// Largest archive accepted by `POST /admin/v1/tenant-imports`, in bytes: 256 MiB.
    static let maximumImportBytes = 256 << 20
    /// The request header that carries an import's passphrase (kept out of URLs and access logs).
    static let passphraseHeader = HTTPField.Name("Gatehouse-Archive-Passphrase")!

    /// The body limit of a tenant import by the instance admin (checked on the request head,
    /// before any body byte is read, so nobody else can make the server buffer 256 MiB); nil for
    /// every other request.
    static func uploadLimit(for request: Request, services: Services) -> Int? {
        guard request.method == .post, request.uri.path == "/admin/v1/tenant-imports",
            let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            services.isAdminToken(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else { return nil }
        return maximumImportBytes
    }

    func registerTenantCopyRoutes(_ admin: RouterGroup<AppRequestContext>) {
        tenantRoute(admin, .post, "tenants/:slug/export", scope: nil) { request, context in try await self.exportTenant(request, context) }
        tenantRoute(admin, .post, "tenants/:slug/clone", scope: nil) { request, context in try await self.cloneTenant(request, context) }
        route(admin, .post, "tenant-imports", scope: nil, maxBodyBytes: Self.maximumImportBytes) { request, _ in
            try await self.importTenant(request)
        }
    }

    /// `POST /admin/v1/tenants/{slug}/export` `{"passphrase": "…"}` → 200 with the archive
    /// (`application/vnd.gatehouse.tenant-archive`).
    func exportTenant(_ request: Request, _ context: TenantContext) async throws -> Response {
        let tenant = context.tenant
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["passphrase"])
        let passphrase = input.string("passphrase", required: true, maxLength: TenantArchive.passphraseLengths.upperBound)
        if let passphrase, !TenantArchive.passphraseLengths.contains(passphrase.count) {
            input.fail("passphrase", "must be \(TenantArchive.passphraseLengths.lowerBound)–\(TenantArchive.passphraseLengths.upperBound) characters")
        }
        try input.check()
        let archive = try await services.store.exportTenant(tenant, passphrase: passphrase!)
        context.logger.info("tenant exported", metadata: ["tenant": "\(tenant.slug)", "bytes": "\(archive.count)"])
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/vnd.gatehouse.tenant-archive",
                .contentDisposition: "attachment; filename=\"\(tenant.slug).gatehouse-tenant\"",
                .cacheControl: "no-store",
            ], body: .init(byteBuffer: ByteBuffer(bytes: archive)))
    }

    /// `POST /admin/v1/tenants/{slug}/clone` `{"to": "new-slug", "scrub_pii": true}` → 201 with
    /// the copy report.
    func cloneTenant(_ request: Request, _ context: TenantContext) async throws -> Response {
        let source = context.tenant
        var input = try await JSONInput(request, limit: services.configuration.maxBodyBytes)
        input.rejectUnknown(["to", "scrub_pii"])
        let slug = input.string("to", required: true, maxLength: 63)
        if let slug, let problem = Self.slugProblem(slug) { input.fail("to", problem) }
        let scrub = input.bool("scrub_pii") ?? false
        try input.check()
        let report = try await services.store.cloneTenant(source, slug: slug!, scrubPII: scrub)
        context.logger.info("tenant cloned", metadata: ["tenant": "\(source.slug)", "copy": "\(slug!)", "scrub_pii": "\(scrub)"])
        return copied(report)
    }

    /// `POST /admin/v1/tenant-imports?slug=new-slug`, body: the archive, passphrase in the
    /// `Gatehouse-Archive-Passphrase` header → 201 with the copy report.
    func importTenant(_ request: Request) async throws -> Response {
        let slug = request.uri.queryParameters.get("slug")
        if let slug, let problem = Self.slugProblem(slug) {
            throw ProblemDetails.validation([.init(field: "slug", message: problem)])
        }
        guard let passphrase = request.headers[Self.passphraseHeader], !passphrase.isEmpty else {
            throw ProblemDetails.validation([.init(field: "passphrase", message: "send the archive's passphrase in the Gatehouse-Archive-Passphrase header")])
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maximumImportBytes) } catch {
            throw ProblemDetails.payloadTooLarge(Self.maximumImportBytes)
        }
        guard body.readableBytes > 0 else {
            throw ProblemDetails.validation([.init(field: "archive", message: "send the archive file as the request body")])
        }
        let report = try await services.store.importTenant(Array(body.readableBytesView), passphrase: passphrase, slug: slug)
        return copied(report)
    }

    /// 201 with `{"tenant": …, "users": n, "client_key_changes": […], "dropped_hostname": …}`.
    func copied(_ report: TenantCopyReport) -> Response {
        var response = created(
            TenantCopyView(
                tenant: TenantView(report.tenant.tenant, addressing: services.addressing), users: report.users,
                clientKeyChanges: report.clientKeyChanges, droppedHostname: report.droppedHostname))
        response.headers[.location] = "/admin/v1/tenants/\(report.tenant.slug)"
        return response
    }
}

/// The answer to an import or clone.
struct TenantCopyView: Encodable {
    let tenant: TenantView
    let users: Int
    /// Clients given new keys; the secrets are shown only here.
    let clientKeyChanges: [TenantArchive.ClientKeyChange]
    @NullWhenAbsent var droppedHostname: String?

    enum CodingKeys: String, CodingKey {
        case tenant, users
        case clientKeyChanges = "client_key_changes"
        case droppedHostname = "dropped_hostname"
    }
}
