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

/// Cursor pagination of admin lists (`?limit=&after=`): each answer carries `next_cursor`, the
/// `after` of the next page, or null on the last page. A cursor is opaque to callers (today the
/// id of the page's last item).
struct AdminPageRequest {
    /// Items per page: 1…1000, default 100.
    let limit: Int
    /// The `next_cursor` of the previous page, or nil for the first.
    let after: String?

    static let defaultLimit = 100
    static let maximumLimit = 1000

    /// Reads `limit` and `after`.
    /// - Throws: `ProblemDetails` 422 for a limit outside 1…1000 or an empty, repeated or malformed parameter.
    init(_ request: Request) throws {
        var limit = Self.defaultLimit
        if let raw = try AdminListFilter.value(of: "limit", in: request) {
            guard let value = Int(raw), (1...Self.maximumLimit).contains(value) else {
                throw ProblemDetails.validation([.init(field: "limit", message: "must be an integer from 1 to \(Self.maximumLimit)")])
            }
            limit = value
        }
        self.limit = limit
        after = try AdminListFilter.value(of: "after", in: request)
    }

    /// `after` parsed by `make`; a cursor it refuses is a 422.
    func cursor<T>(_ make: (String) -> T?) throws -> T? {
        guard let after else { return nil }
        guard let value = make(after) else { throw ProblemDetails.validation([.init(field: "after", message: "is not a cursor of this list")]) }
        return value
    }

    /// One page of `fetched` (fetched with `limit + 1` items to learn whether more follow).
    func page<Item: Encodable>(_ key: String, _ fetched: [Item], cursor: (Item) -> String) -> AdminPage<Item> {
        let items = Array(fetched.prefix(limit))
        return AdminPage(key: key, items: items, nextCursor: fetched.count > limit ? items.last.map(cursor) : nil)
    }

    /// One page of a list held in memory, sorted by `cursor` (short lists: clients, tenants).
    func page<Item: Encodable>(_ key: String, all: [Item], cursor: (Item) -> String) -> AdminPage<Item> {
        let sorted = all.sorted { cursor($0) < cursor($1) }
        let rest = after.map { after in sorted.filter { cursor($0) > after } } ?? sorted
        return page(key, Array(rest.prefix(limit + 1)), cursor: cursor)
    }
}

/// A page of an admin list: `{"<key>": [...], "next_cursor": "…" | null}`.
struct AdminPage<Item: Encodable>: Encodable {
    let key: String
    let items: [Item]
    let nextCursor: String?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(items, forKey: Key(stringValue: key))
        try c.encode(nextCursor, forKey: Key(stringValue: "next_cursor"))
    }
}
