/// Errors of the storage layer that callers turn into problem details.
public enum StoreError: Error, Equatable, Sendable {
    /// A unique constraint would be violated (e.g. a duplicate slug or email).
    case conflict(String)
    /// The row does not exist.
    case notFound(String)
    /// The data folder or a database file cannot be used.
    case unavailable(String)
    /// The operation does not exist on this storage backend (yet): the caller is told so.
    case unsupported(String)
    /// The tenant was deleted while the request was using it (another node may not have noticed
    /// yet): answered as an unknown tenant.
    case tenantGone(String)
}

extension StoreError {
    /// The sentence the error carries.
    public var message: String {
        switch self {
        case .conflict(let message), .notFound(let message), .unavailable(let message), .unsupported(let message),
            .tenantGone(let message):
            message
        }
    }
}

extension StoreError {
    /// Whether `error` is `StoreError.tenantGone`.
    public static func isTenantGone(_ error: any Error) -> Bool {
        if case .tenantGone? = error as? StoreError { return true }
        return false
    }
}
