import ArgumentParser
import Foundation
import GatehouseAdminAPI

/// `--limit`, `--after` and `--all` of the list commands, over the admin API's cursor pagination
/// (`limit`, `after`, `next_cursor`).
struct Paging: ParsableArguments {
    @Option(help: "Items per page, 1–1000 (the server's default is 100).") var limit: Int?
    @Option(help: "Start after this cursor: the next_cursor of the previous page.") var after: String?
    @Flag(help: "Fetch every page.") var all = false

    /// One page or, with `--all`, every page of a list, each fetched by `page` with the generated
    /// client, `limit` and the cursor to start after; the items are the server's answers under `key`
    /// (`users`).
    /// - Returns: the items, and the cursor of the page after them (nil when the list is complete).
    /// - Throws: `AdminError` from the server.
    func fetch<Page: AdminPage>(
        _ api: AdminAPI, key: String, page: (Client, _ limit: Int?, _ after: String?) async throws -> Page
    ) async throws -> (items: [[String: Any]], next: String?) {
        var items: [[String: Any]] = []
        var cursor = after
        repeat {
            let (typed, answer) = try await api.call { [cursor] in try await page($0, limit, cursor) }
            items += (answer as? [String: Any])?[key] as? [[String: Any]] ?? []
            cursor = typed.nextCursor
        } while all && cursor != nil
        return (items, cursor)
    }

    /// Prints a fetched list: JSON `{key: [...], "next_cursor": …}` with `--json`, else a table of
    /// `columns`, and on stderr how to get the next page when there is one.
    static func print(_ list: (items: [[String: Any]], next: String?), key: String, columns: [String], json: Bool) {
        if json {
            Output.json([key: list.items, "next_cursor": list.next.map { $0 as Any } ?? NSNull()])
            return
        }
        Output.table(columns, list.items.map { item in columns.map { Output.describe(item[$0] ?? "") } })
        if let next = list.next {
            FileHandle.standardError.write(Data("more: repeat with --after \(next), or use --all\n".utf8))
        }
    }
}
