import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseCrypto
import GatehouseOutbound

/// Options shared by every admin command.
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "Base URL of the server (env GATEHOUSE_URL; default http://127.0.0.1:8080).")
    var url: String?

    @Option(name: .long, parsing: .unconditional, help: "Admin bearer token (env GATEHOUSE_ADMIN_TOKEN; default: the file <data dir>/admin-token).")
    var token: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var baseURL: String {
        var base = url ?? environment["GATEHOUSE_URL"] ?? environment["GATEHOUSE_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    func adminToken() throws -> String {
        if let token, !token.isEmpty { return token }
        if let token = environment["GATEHOUSE_ADMIN_TOKEN"], !token.isEmpty { return token }
        let path = (environment["GATEHOUSE_DATA_DIR"] ?? "./data") + "/admin-token"
        if let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        {
            return token
        }
        throw AdminError(status: nil, detail: "no admin token: pass --token, set GATEHOUSE_ADMIN_TOKEN, or run where \(path) exists")
    }

    func client() throws -> AdminClient { AdminClient(baseURL: baseURL, token: try adminToken()) }

    /// The generated admin API client for this server and token.
    /// - Throws: `AdminError` without a token, or for a `--url` that is not a URL.
    func api() throws -> AdminAPI { try AdminAPI(baseURL: baseURL, token: try adminToken(), http: HTTPClient(policy: AdminClient.policy)) }
}

/// A failed admin API call, printed from its RFC 9457 problem details.
struct AdminError: Error, CustomStringConvertible {
    /// The HTTP status; nil when no answer was received (no token, server unreachable).
    let status: Int?
    let detail: String
    /// The server's problem details (RFC 9457), when it sent some.
    var problem: [String: Any]? = nil
    /// True when the server could not be reached at all.
    var unreachable = false
    var description: String { status.map { "error (\($0)): \(detail)" } ?? "error: \(detail)" }

    init(status: Int?, detail: String, problem: [String: Any]? = nil, unreachable: Bool = false) {
        self.status = status
        self.detail = detail
        self.problem = problem
        self.unreachable = unreachable
    }

    /// The failure of a non-2xx answer with `body`: its problem details' `errors` (every invalid field,
    /// one per line), else their `detail` or `title`, else the body's text.
    init(status: Int, body: [UInt8]) {
        let problem = (body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        var detail = (problem?["detail"] as? String) ?? (problem?["title"] as? String) ?? String(decoding: body, as: UTF8.self)
        if let errors = problem?["errors"] as? [[String: Any]], !errors.isEmpty {
            detail = errors.map { "\($0["field"] ?? "?"): \($0["message"] ?? "?")" }.joined(separator: "\n  ")
        }
        if detail.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            detail = status == 404 ? "not found (is --url a Gatehouse server of this version?)" : "HTTP \(status) without details"
        }
        self.init(status: status, detail: detail, problem: problem)
    }

    /// The process exit code for this failure (listed in `gatehouse --help`).
    var exitCode: Int32 {
        if unreachable { return CLIExit.unreachable }
        switch status {
        case nil: return CLIExit.usage
        case 401, 403: return CLIExit.unauthorized
        case 404: return CLIExit.notFound
        case 409, 412: return CLIExit.conflict
        case 400, 422: return CLIExit.invalid
        default: return CLIExit.failure
        }
    }
}

/// Exit codes of the admin commands.
enum CLIExit {
    static let failure: Int32 = 1
    static let notFound: Int32 = 3
    static let unauthorized: Int32 = 4
    static let conflict: Int32 = 5
    static let invalid: Int32 = 6
    /// Usage errors, as ArgumentParser reports them (EX_USAGE); also a missing admin token.
    static let usage: Int32 = 64
    /// The server could not be reached (EX_UNAVAILABLE).
    static let unreachable: Int32 = 69
    /// A bad configuration file (EX_CONFIG).
    static let configuration: Int32 = 78

    /// The table printed by `gatehouse --help`.
    static let summary =
        "Exit codes: 0 success, 1 other failure, 3 not found, 4 unauthorized or forbidden, 5 conflict, "
        + "6 invalid request, 64 usage, 69 server unreachable, 78 bad configuration."
}

/// Builds an admin API path from literal parts and percent-encoded values, e.g.
/// `adminPath("tenants", slug, "clients", clientID)` → `/admin/v1/tenants/acme/clients/pk_…`.
func adminPath(_ segments: String..., query: [(String, String)] = []) -> String {
    adminPath(segments: segments, query: query)
}

/// `/admin/v1/` plus the percent-encoded `segments` and `query`.
func adminPath(segments: [String], query: [(String, String)] = []) -> String {
    var path = "/admin/v1/" + segments.map { PercentEncoding.encode($0) }.joined(separator: "/")
    if !query.isEmpty { path += "?" + FormParameters.encode(query) }
    return path
}

/// The admin API over HTTP (libcurl through GatehouseOutbound) without the generated client: for the
/// tenant archives (export, import), whose bodies are files, not JSON. Every other call goes through
/// `AdminAPI`.
struct AdminClient {
    let baseURL: String
    let token: String
    let http = HTTPClient(policy: AdminClient.policy)

    /// Any http(s) server, loopback and private addresses included, with the default timeouts.
    static let policy = OutboundPolicy(allowPrivateDestinations: true, allowedSchemes: ["http", "https"])

    /// Sends a request with any body and returns the whole answer; for files (tenant archives),
    /// answers of up to `TenantArchive.maximumBytes` are read.
    /// - Throws: `AdminError` with the problem's detail for non-2xx answers.
    func send(
        _ method: String, _ path: String, headers: [OutboundHeader], body: [UInt8]?,
        http: HTTPClient? = nil
    ) async throws -> OutboundResponse {
        let response: OutboundResponse
        do {
            response = try await (http ?? self.http).send(
                OutboundRequest(
                    method: method, url: baseURL + path,
                    headers: [("Authorization", "Bearer \(token)")] + headers, body: body))
        } catch {
            throw AdminError(status: nil, detail: "cannot reach \(baseURL): \(error)", unreachable: true)
        }
        guard response.isSuccess else { throw AdminError(status: response.status, body: response.body) }
        return response
    }

    /// A client for file transfers: answers up to 1 GiB, five minutes per transfer.
    static let fileHTTP = HTTPClient(
        policy: OutboundPolicy(
            totalTimeout: 300, maxResponseBytes: 1 << 30, allowPrivateDestinations: true,
            allowedSchemes: ["http", "https"]))
}

/// Output: JSON for scripts, aligned tables for people.
enum Output {
    static func json(_ value: Any?) {
        guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints rows under headers with columns padded to their widest cell.
    static func table(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(headers.map { $0.uppercased() }))
        for row in rows { print(line(row)) }
    }

    /// Prints `key: value` lines for one object.
    static func record(_ object: [String: Any], keys: [String]) {
        let width = keys.map(\.count).max() ?? 0
        for key in keys {
            guard let value = object[key], !(value is NSNull) else { continue }
            print("\(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(describe(value))")
        }
    }

    /// Values for a terminal: control characters are shown as U+FFFD so that data cannot drive the
    /// admin's terminal (escape sequences, title changes, erasing the screen).
    static func terminalSafe(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.properties.generalCategory == .control ? "\u{FFFD}" : $0 }))
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case let s as String: return terminalSafe(s)
        case let a as [Any]: return a.map(describe).joined(separator: ", ")
        case let d as [String: Any]:
            return d.keys.sorted().map { "\($0)=\(describe(d[$0]!))" }.joined(separator: " ")
        case let n as NSNumber:
            // JSONSerialization yields booleans as NSNumbers of type "c".
            return String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.description
        default: return "\(value)"
        }
    }
}

/// Runs an admin call and reports failures on stderr — readably, or as JSON (the problem details,
/// or `{"status", "detail"}`) with `--json` — with the exit code of `CLIExit`.
func runAdmin(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as AdminError {
        if CommandLine.arguments.dropFirst().contains("--json"),
            let data = try? JSONSerialization.data(
                withJSONObject: error.problem ?? ["status": error.status ?? 0, "detail": error.detail],
                options: [.sortedKeys])
        {
            FileHandle.standardError.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
        }
        throw ExitCode(error.exitCode)
    }
}
