import GatehouseOutbound

/// The case of an error thrown by the outbound layer, without its human-readable detail, so
/// table rows can name the expected outcome.
enum ErrorKind: String, Sendable, CustomStringConvertible {
    case invalidURL, schemeNotAllowed, destinationNotAllowed, timedOut, connectionFailed, tlsFailure,
        responseTooLarge, tooManyRedirects, insecureRedirect, invalidRequest, transport, cancelled, other

    init(_ error: any Error) {
        switch error {
        case let error as OutboundError:
            switch error {
            case .invalidURL: self = .invalidURL
            case .schemeNotAllowed: self = .schemeNotAllowed
            case .destinationNotAllowed: self = .destinationNotAllowed
            case .timedOut: self = .timedOut
            case .connectionFailed: self = .connectionFailed
            case .tlsFailure: self = .tlsFailure
            case .responseTooLarge: self = .responseTooLarge
            case .tooManyRedirects: self = .tooManyRedirects
            case .insecureRedirect: self = .insecureRedirect
            case .invalidRequest: self = .invalidRequest
            case .transport: self = .transport
            }
        case is CancellationError:
            self = .cancelled
        default:
            self = .other
        }
    }

    var description: String { rawValue }
}

/// Runs `body` and returns the kind of error it threw, or `nil` if it did not throw.
func errorKind<T>(of body: () async throws -> T) async -> ErrorKind? {
    do {
        _ = try await body()
        return nil
    } catch {
        return ErrorKind(error)
    }
}

/// `client`'s loopback-friendly policy for tests against the local server.
extension OutboundPolicy {
    static let loopback = OutboundPolicy(allowPrivateDestinations: true, allowedSchemes: ["http", "https"])
}
