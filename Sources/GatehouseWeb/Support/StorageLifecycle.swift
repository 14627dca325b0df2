import GatehouseStore
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The instance store's background work (PostgreSQL: the connection pool and the change feed's
/// poller) as a service of the application. It is the application's first service and a service
/// group stops its services last to first, so it ends after the HTTP server has answered the
/// requests in flight and the other services have stopped: then it closes the store
/// (`InstanceStorage.close()`).
struct StorageService: Service {
    let store: any InstanceStorage

    func run() async throws {
        // Returns on graceful shutdown, throws on cancellation: the store closes either way.
        try? await gracefulShutdown()
        await store.close()
    }
}

/// The application as `buildApplication` returns it: `base` (routes, server, services) with a
/// bound on how long its graceful shutdown (SIGTERM) waits for the storage. The HTTP server stops
/// accepting and waits for the requests in flight; one waiting for a PostgreSQL connection while
/// the database is gone would wait for ever and hold the node. So `drain` after the shutdown
/// began, the store closes (`InstanceStorage.close()`): requests still waiting fail with 503
/// (`StoreError.unavailable(from:)`), the server finishes and the process exits.
struct GatehouseApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Base.Responder
    let base: Base
    let store: any InstanceStorage
    /// How long requests in flight may use the storage after a shutdown began.
    let drain: Duration

    var responder: Responder { get async throws { try await base.responder } }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration }
    var logger: Logger { base.logger }
    @Sendable func onServerRunning(_ channel: any Channel) async { await base.onServerRunning(channel) }
    var services: [any Service] { base.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

    func run() async throws {
        let store = self.store
        let drain = self.drain
        let logger = self.logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Both this task and `base.run()` below see the same graceful shutdown.
                guard (try? await gracefulShutdown()) != nil, (try? await Task.sleep(for: drain)) != nil else { return }
                logger.notice("stopping: closing the storage; requests still waiting for it are answered 503")
                await store.close()
            }
            try await base.run()
            group.cancelAll()
        }
    }
}
