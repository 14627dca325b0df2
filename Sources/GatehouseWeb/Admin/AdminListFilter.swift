import Foundation
import Hummingbird

/// Reads the query filters of admin list routes from the raw query string.
///
/// A filter that is present but empty (`?user_id=`), given twice, or not percent-decodable is a
/// 422 problem: it must never fall back to "no filter", which would list everything.
enum AdminListFilter {
    /// The value of filter `name`, or nil when the query does not mention it.
    /// - Throws: `ProblemDetails` 422 when it is empty, repeated or malformed.
    static func value(of name: String, in request: Request) throws -> String? {
        let query = request.uri.query ?? ""
        var found: [String] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            guard key == name else { continue }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            guard let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                throw ProblemDetails.validation([.init(field: name, message: "is not percent-encoded correctly")])
            }
            found.append(value)
        }
        guard let value = found.first else { return nil }
        if found.count > 1 { throw ProblemDetails.validation([.init(field: name, message: "must be given at most once")]) }
        if value.isEmpty { throw ProblemDetails.validation([.init(field: name, message: "must not be empty; leave the parameter out for no filter")]) }
        return value
    }
}
