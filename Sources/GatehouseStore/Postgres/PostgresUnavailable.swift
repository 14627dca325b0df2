import Foundation
import PostgresNIO
// PostgresNIO's pool: `client.query` rethrows its errors unmapped.
import _ConnectionPoolModule

extension StoreError {
    /// `error` as `StoreError.unavailable` when it says that PostgreSQL cannot be used right now
    /// (this node's pool closed while stopping or gave up connecting, a connection failed, was
    /// lost or was cancelled while waiting), so that the web layer answers 503 instead of 500;
    /// nil for any other error.
    public static func unavailable(from error: any Error) -> StoreError? {
        if case .unavailable? = error as? StoreError { return error as? StoreError }
        if let pool = error as? ConnectionPoolError {
            // Shut down, or no connection could be made for a while (the pool's circuit breaker).
            return .unavailable("PostgreSQL cannot be reached (connection pool: \(pool))")
        }
        guard let failure = PostgresClient.unwrap(error) as? PSQLError else { return nil }
        switch failure.code {
        case .poolClosed, .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .queryCancelled:
            return .unavailable("PostgreSQL cannot be reached (\(failure.code))")
        default:
            return nil
        }
    }
}
