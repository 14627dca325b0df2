import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import GatehouseThreads

/// Builds the whole server: storage, services, routes. Called by `gatehouse serve` and by every
/// test, so there is exactly one wiring path (docs/architecture.md H3).
///
/// - Parameters:
///   - configuration: the loaded configuration.
///   - clock: time source (tests may move it).
/// - Throws: when the data folder, master key or templates cannot be used.
public func buildApplication(configuration: GatehouseConfiguration, clock: any Clock = SystemClock()) async throws -> some ApplicationProtocol {
    HeapMemory.limitArenas(to: 2)
    var logger = Logger(label: "gatehouse")
    logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
    let services = try await makeServices(configuration: configuration, clock: clock, logger: logger)
    let router = buildRouter(services: services)
    let address = configuration.listenAddress ?? (host: "127.0.0.1", port: 8080)
    let announcer = logger
    let defaultIssuer = services.store.resolve(slug: "default").map { services.issuer(of: $0) } ?? "(no tenant 'default')"
    var app = Application(
        responder: TenantHostResponder(next: router.buildResponder(), addressing: services.addressing, store: services.store),
        // Idle connections (including ones that never finish their request headers) are closed,
        // so slow clients cannot hold descriptors forever.
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "Gatehouse"),
        onServerRunning: { channel in
            let bound = channel.localAddress.map { "\($0.ipAddress ?? address.host):\($0.port ?? address.port)" } ?? configuration.listen
            announcer.notice("Gatehouse listening on \(bound); issuer of the default tenant: \(defaultIssuer)")
            SystemdNotify.send("READY=1")
        },
        logger: logger)
    // First, so that it stops last (StorageLifecycle.swift).
    app.addServices(StorageService(store: services.store))
    app.addServices(HousekeepingService(store: services.store, logger: logger))
    app.addServices(MailDeliveryService(mail: services.mail, store: services.store, logger: logger))
    app.addServices(WebhookDeliveryService(webhooks: services.webhooks, logger: logger))
    app.addServices(
        BackchannelLogoutWorker(logouts: services.logouts, tickSeconds: configuration.webhooks.retryBaseSeconds / 2, logger: logger))
    if configuration.backup.directory != nil, let store = services.store as? InstanceStore {
        app.addServices(BackupService(store: store, configuration: configuration.backup, logger: logger))
    }
    return GatehouseApplication(base: app, store: services.store, drain: .seconds(3))
}

/// Opens the data folder and makes the shared services; creates the `default` tenant on first start.
public func makeServices(configuration: GatehouseConfiguration, clock: any Clock, logger: Logger) async throws -> Services {
    let dataDirectory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true)
    PrivateFiles.restrictUmask()
    try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    PrivateFiles.tighten(dataDirectory)
    let masterKey = try Secrets.masterKey(configuration: configuration, dataDirectory: dataDirectory, logger: logger)
    let adminToken = try Secrets.adminToken(configuration: configuration, dataDirectory: dataDirectory, logger: logger)
    let store = try await openInstance(configuration: configuration, dataDirectory: dataDirectory, masterKey: masterKey, clock: clock, logger: logger)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let pool = ThreadPool(
        workers: configuration.hashingThreads > 0 ? configuration.hashingThreads : cores,
        queueLimit: configuration.hashingQueue)
    let passwords = try PasswordService(
        hasher: PasswordHasher(memoryKiB: configuration.argon2MemoryKiB, iterations: configuration.argon2Iterations), pool: pool)
    let templatesDirectory = Secrets.locate(configuration.templatesDirectory, default: "./templates")
    let pages = try await PageRenderer(directory: templatesDirectory + "/pages")
    let publicURL = configuration.effectivePublicURL
    let mail = try EmailService(
        settings: try MailSettings(configuration: configuration, dataDirectory: dataDirectory),
        directory: templatesDirectory + "/email", store: store, clock: clock, logger: logger,
        publicURL: configuration.effectivePublicURL)
    let webhooks = WebhookService(
        store: store, configuration: configuration, clock: clock, logger: logger, eventSource: { AuditWebhookSource(log: $0) })
    let addressing = TenantAddressing(publicURL: publicURL, tenantBaseDomain: configuration.tenantBaseDomain)
    let logouts = BackchannelLogoutService(store: store, configuration: configuration, clock: clock, logger: logger) { database in
        TokenService(
            tenant: database.tenant.tenant, issuer: addressing.issuer(of: database.tenant.tenant),
            keys: try await database.keyRing(at: clock.now), clock: clock)
    }
    let csrfKey = Digest.hmacSHA256(key: masterKey, message: Array("gatehouse csrf v1".utf8))
    return Services(
        configuration: configuration, store: store, pages: pages, mail: mail, webhooks: webhooks, logouts: logouts, passwords: passwords,
        clock: clock,
        logger: logger,
        publicURL: publicURL,
        addressing: addressing,
        adminTokenHash: Digest.sha256(adminToken),
        csrfKey: csrfKey,
        dpopNonceKey: Digest.hmacSHA256(key: csrfKey, message: Array("gatehouse dpop nonce v1".utf8)),
        passkeyChallengeKey: Digest.hmacSHA256(key: csrfKey, message: Array("gatehouse webauthn challenge v1".utf8)))
}

/// The instance on the configured backend; creates the `default` tenant on the instance's first
/// start (`InstanceStorage.createFirstTenant`: never again once it had a tenant, and once when
/// nodes start together).
func openInstance(
    configuration: GatehouseConfiguration, dataDirectory: URL, masterKey: [UInt8], clock: any Clock, logger: Logger
) async throws -> any InstanceStorage {
    let keyPolicy = KeyPolicy(
        prePublication: TimeInterval(configuration.keyPrePublication),
        rotationInterval: configuration.keyRotationDays > 0 ? TimeInterval(configuration.keyRotationDays) * 86400 : nil)
    let store: any InstanceStorage
    if configuration.usesPostgres, let url = configuration.databaseURL {
        store = try await PostgresInstanceStore.open(
            configuration: configuration.postgresConfiguration(url: url, keyPolicy: keyPolicy), masterKey: masterKey, clock: clock,
            logger: logger)
    } else {
        store = try InstanceStore(
            configuration: StoreConfiguration(
                dataDirectory: dataDirectory, synchronous: configuration.synchronous, maxOpenTenants: configuration.maxOpenTenants,
                keyPolicy: keyPolicy),
            masterKey: masterKey, clock: clock, logger: logger)
    }
    do {
        if try await store.createFirstTenant(slug: "default", name: "Default", environment: .dev) != nil {
            logger.info("created tenant 'default'")
        }
    } catch StoreError.conflict {
        // Another node created it first.
    }
    return store
}

/// All routes.
public func buildRouter(services: Services) -> Router<AppRequestContext> {
    let metrics = GatehouseMetrics.shared
    let router = Router(context: AppRequestContext.self)
    // First: every later middleware, the access log included, sees the client's address.
    router.add(middleware: ClientAddressMiddleware(resolver: ClientAddressResolver(trustedProxies: services.configuration.trustedProxyNetworks)))
    router.add(middleware: AccessLogMiddleware(metrics: metrics))
    router.add(middleware: BaselineHeadersMiddleware())
    router.add(
        middleware: RequestBodyLimitMiddleware(
            defaultMaxBodyBytes: services.configuration.maxBodyBytes,
            timeout: .seconds(services.configuration.requestBodyTimeoutSeconds),
            largerLimit: { AdminController.uploadLimit(for: $0, services: services) }))
    router.get("healthz") { _, _ in "ok" }
    router.get("readyz") { _, _ in await readiness(services) }
    router.get("metrics") { _, _ in
        let buffer = await metrics.exposition(services: services)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: .init(bytes: buffer)))
    }
    let staticDirectory = Secrets.locate(services.configuration.staticDirectory, default: "./static")
    // Router-level: group middleware would only run for matched routes, and `/static/…` has none.
    router.add(middleware: StaticPathGuard())
    router.add(
        middleware: FileMiddleware(
            staticDirectory, urlBasePath: "/static",
            cacheControl: .init([(MediaType(type: .any), [.maxAge(3600)])]),
            logger: services.logger))

    AdminController(services: services).register(on: router)
    HeadlessController(services: services).register(on: router)
    ConsoleController(services: services).register(on: router)

    // RFC 8414 §3: the metadata of issuer `{public}/t/{slug}` lives at `/.well-known/oauth-authorization-server/t/{slug}`.
    let wellKnown = router.group(".well-known/oauth-authorization-server/t/:slug")
        .add(middleware: TenantResolutionMiddleware(store: services.store, addressing: services.addressing))
        .group(context: TenantRequestContext.self)
        .add(middleware: TenantCORSMiddleware())
        .add(middleware: ErrorMiddleware(family: OAuthJSONErrors(services: services)))
    let protocolController = ProtocolController(services: services)
    wellKnown.get { _, context in try await protocolController.discovery(context) }
    wellKnown.on("", method: .options) { _, _ in Response(status: .noContent) }

    let tenant = router.group("t/:slug")
        .add(middleware: TenantResolutionMiddleware(store: services.store, addressing: services.addressing))
        .group(context: TenantRequestContext.self)
    // Each route family maps its errors once (docs/architecture.md "Errors").
    protocolController.register(on: tenant)
    let pages = tenant.group().add(middleware: ErrorMiddleware(family: PageErrors(services: services)))
    BrowserFlowController(services: services).register(on: pages)
    AccountController(services: services).register(on: pages)
    FederationController(services: services).register(on: pages)
    AccountIdentitiesController(services: services).register(on: pages)
    AccountOrganizationsController(services: services).register(on: pages)
    AccountFlowsController(services: services).register(on: pages)
    MFAController(services: services).register(on: pages)
    PasskeyController(services: services).register(on: pages)
    DeviceController(services: services).register(on: pages)
    // Last, so that it knows every route: 405 with Allow for a known path's missing method.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ("\($0.path)", $0.method.rawValue) }))
    return router
}

/// `/readyz`: 200 `ok` when this node should receive traffic; otherwise 503 with one reason per
/// line — the instance database does not answer, or the data folder is not writable.
/// `/healthz` stays trivial (the process is alive). A saturated password hashing pool is not a
/// reason: anyone can fill it with wrong passwords, and pulling every node out of the load
/// balancer for that would stop tokens and keys too (the pool refuses its overflow with 503 on
/// the sign-in endpoints themselves; `gatehouse_hashing_pool_jobs` shows it).
func readiness(_ services: Services) async -> Response {
    let problems = await services.store.readinessProblems()
    guard !problems.isEmpty else { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok"))) }
    return Response(
        status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "5"],
        body: .init(byteBuffer: ByteBuffer(string: "not ready:\n" + problems.map { "- \($0)\n" }.joined())))
}

/// Periodic cleanup of expired interactions, codes and revocation entries.
struct HousekeepingService: Service {
    let store: any InstanceStorage
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var minute = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                if Task.isCancelled { break }
                minute += 1
                // Expired rows every 10 minutes; every minute the memory of tenants idle since the
                // last minute, then free heap pages back to the system (what the tenants' writers
                // release a moment later is handed back at the next minute's trim).
                if minute.isMultiple(of: 10) { await store.purgeExpired() }
                store.releaseIdleMemory()
                HeapMemory.trim()
            }
        }
    }
}
