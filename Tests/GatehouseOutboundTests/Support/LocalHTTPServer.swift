import Foundation
import Testing

/// A real HTTP (and, when `openssl` is available, HTTPS) server on 127.0.0.1, written in Python
/// and started once per suite by the ``LocalHTTPServerTrait``.
///
/// Routes: `/ok`, `/echo`, `/big` (2 MiB, with Content-Length), `/big-chunked` (2 MiB, chunked),
/// `/slow` (6 s), `/sleep/MS`, `/status/N`, `/redirect-chain/N`, `/redirect-to-private`,
/// `/redirect-to?status=S&url=U`, `/headers`.
final class LocalHTTPServer: Sendable {
    let httpPort: Int
    /// `nil` when no certificate could be made (no `openssl` on PATH).
    let httpsPort: Int?
    /// PEM of the self-signed certificate (for 127.0.0.1 only) the HTTPS listener serves.
    let certificatePath: String?
    private let process: Process
    private let stdinPipe: Pipe
    private let directory: URL

    @TaskLocal static var current: LocalHTTPServer?

    /// The server of the enclosing suite. Tests in a suite with `.localHTTPServer` only.
    static var running: LocalHTTPServer {
        guard let current else { fatalError("test is not inside a suite with the .localHTTPServer trait") }
        return current
    }

    var base: String { "http://127.0.0.1:\(httpPort)" }
    var secureBase: String? { httpsPort.map { "https://127.0.0.1:\($0)" } }

    private init(process: Process, stdinPipe: Pipe, directory: URL, httpPort: Int, httpsPort: Int?, certificatePath: String?) {
        self.process = process
        self.stdinPipe = stdinPipe
        self.directory = directory
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.certificatePath = certificatePath
    }

    static func start() throws -> LocalHTTPServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-outbound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)

        var arguments = ["python3", script.path]
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let haveCertificate =
            (try? TestProcess.run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])) == 0
        if haveCertificate { arguments += [certificate, key] }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        struct Ports: Decodable { var http: Int; var https: Int? }
        let ports: Ports
        do {
            try process.run()
            // Readiness: the script prints {"http": port, "https": port} once both listeners are bound.
            let line = try TestProcess.readLine(stdoutPipe.fileHandleForReading)
            ports = try JSONDecoder().decode(Ports.self, from: Data(line.utf8))
        } catch {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return LocalHTTPServer(
            process: process, stdinPipe: stdinPipe, directory: directory,
            httpPort: ports.http, httpsPort: ports.https, certificatePath: haveCertificate ? certificate : nil
        )
    }

    /// Stops the server: closing its stdin makes it exit; SIGTERM in case it does not.
    func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    static let script = #"""
        import json, os, ssl, sys, threading, time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse, parse_qs

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", content_type="application/json", extra=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra:
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                if url.path == "/ok":
                    self.reply(200, b'{"ok":true}')
                elif url.path == "/echo":
                    self.reply(200, json.dumps({
                        "method": self.command,
                        "path": self.path,
                        "headers": [[k, v] for k, v in self.headers.items()],
                        "body": body.decode("utf-8", "replace"),
                    }).encode())
                elif url.path == "/big":
                    self.reply(200, b"x" * (2 * 1024 * 1024), "application/octet-stream")
                elif url.path == "/big-chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    chunk = b"y" * 65536
                    try:
                        for _ in range(32):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                elif url.path == "/slow":
                    time.sleep(6)
                    self.reply(200, b'{"slow":true}')
                elif parts[0] == "sleep" and len(parts) == 2:
                    time.sleep(int(parts[1]) / 1000)
                    self.reply(200, b'{"slept":%s}' % parts[1].encode())
                elif parts[0] == "status" and len(parts) == 2:
                    self.reply(int(parts[1]), b'{"status":%s}' % parts[1].encode())
                elif parts[0] == "redirect-chain" and len(parts) == 2:
                    n = int(parts[1])
                    if n > 0:
                        self.reply(302, extra=[("Location", "/redirect-chain/%d" % (n - 1))])
                    else:
                        self.reply(200, b'{"done":true}')
                elif url.path == "/redirect-to-private":
                    self.reply(302, extra=[("Location", "http://10.0.0.1/")])
                elif url.path == "/redirect-to":
                    query = parse_qs(url.query)
                    self.reply(int(query.get("status", ["302"])[0]), extra=[("Location", query["url"][0])])
                elif url.path == "/headers":
                    self.reply(200, b"{}", extra=[("X-Trace", "abc"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
                else:
                    self.reply(404, b'{"error":"not found"}')

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # the default backlog of 5 drops SYNs under parallel tests (1 s retransmit)

        def serve(server):
            server.serve_forever()

        def main():
            http = Server(("127.0.0.1", 0), Handler)
            threading.Thread(target=serve, args=(http,), daemon=True).start()
            ports = {"http": http.server_address[1]}
            if len(sys.argv) == 3:
                https = Server(("127.0.0.1", 0), Handler)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(sys.argv[1], sys.argv[2])
                https.socket = context.wrap_socket(https.socket, server_side=True)
                threading.Thread(target=serve, args=(https,), daemon=True).start()
                ports["https"] = https.server_address[1]
            print(json.dumps(ports), flush=True)
            sys.stdin.read()  # the test process closing stdin (or dying) ends the server
            os._exit(0)

        main()
        """#
}

/// Starts one ``LocalHTTPServer`` around a whole suite and stops it afterwards.
struct LocalHTTPServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try LocalHTTPServer.start()
        defer { server.stop() }
        try await LocalHTTPServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == LocalHTTPServerTrait {
    /// Runs the suite with a live ``LocalHTTPServer`` (see ``LocalHTTPServer/running``).
    static var localHTTPServer: Self { Self() }
}

/// Small helpers for child processes used by the fixtures.
enum TestProcess {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Whether the `openssl` command exists (the TLS fixtures need it to make a certificate).
    static let hasOpenSSL = (try? run(["openssl", "version"])) == 0
    static let noOpenSSL: Comment = "openssl not on PATH: no certificate for the TLS listeners"

    /// Runs a command found on PATH, discarding its output. - Returns: the exit status.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Reads up to the first newline. - Throws: if the stream ends first (the child died).
    static func readLine(_ handle: FileHandle) throws -> String {
        var bytes: [UInt8] = []
        while !bytes.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { throw Failure(description: "child process exited before it was ready: \(String(decoding: bytes, as: UTF8.self))") }
            bytes += chunk
        }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }
}
