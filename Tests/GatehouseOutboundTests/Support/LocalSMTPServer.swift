import Foundation
import Testing

/// Real SMTP servers (aiosmtpd) on 127.0.0.1, started once per suite by ``LocalSMTPServerTrait``.
///
/// - `plainPort`: no TLS offered; any sender; recipients `@rejected.test` are refused with 550.
/// - `startTLSPort` (when a certificate could be made): offers STARTTLS and AUTH (user `mailer`,
///   password `s3cret`) only after TLS.
/// - `implicitTLSPort`: TLS from the first byte (`smtps://`).
///
/// Every accepted message is parsed by Python's `email` package (an independent MIME parser)
/// and written as JSON to ``deliveries``.
final class LocalSMTPServer: Sendable {
    let plainPort: Int
    let startTLSPort: Int?
    let implicitTLSPort: Int?
    let certificatePath: String?
    let deliveries: URL
    private let process: Process
    private let stdinPipe: Pipe
    private let directory: URL

    @TaskLocal static var current: LocalSMTPServer?

    static var running: LocalSMTPServer {
        guard let current else { fatalError("test is not inside a suite with the .localSMTPServer trait") }
        return current
    }

    /// The first of `$GATEHOUSE_TEST_PYTHON` and `python3` that can import aiosmtpd, or `nil`.
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["GATEHOUSE_TEST_PYTHON"], "python3"].compactMap { $0 }
        return candidates.first { (try? TestProcess.run([$0, "-c", "import aiosmtpd"])) == 0 }
    }()

    static let skipReason: Comment = """
        aiosmtpd not found: set GATEHOUSE_TEST_PYTHON to a python that has it \
        (python3 -m venv .venv && .venv/bin/pip install aiosmtpd)
        """

    private init(process: Process, stdinPipe: Pipe, directory: URL, ports: Ports, certificatePath: String?) {
        self.process = process
        self.stdinPipe = stdinPipe
        self.directory = directory
        self.deliveries = directory.appendingPathComponent("deliveries")
        self.plainPort = ports.plain
        self.startTLSPort = ports.starttls
        self.implicitTLSPort = ports.smtps
        self.certificatePath = certificatePath
    }

    private struct Ports: Decodable { var plain: Int; var starttls: Int?; var smtps: Int? }

    static func start() throws -> LocalSMTPServer {
        guard let python else { throw TestProcess.Failure(description: "no python with aiosmtpd") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("deliveries"), withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("smtp_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)

        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let haveCertificate =
            (try? TestProcess.run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
            ])) == 0
        var arguments = [python, script.path, directory.appendingPathComponent("deliveries").path]
        if haveCertificate { arguments += [certificate, key] }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdinPipe = Pipe(), stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let ports: Ports
        do {
            try process.run()
            // Readiness: the script prints its ports once every listener is bound.
            let line = try TestProcess.readLine(stdoutPipe.fileHandleForReading)
            ports = try JSONDecoder().decode(Ports.self, from: Data(line.utf8))
        } catch {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return LocalSMTPServer(
            process: process, stdinPipe: stdinPipe, directory: directory, ports: ports,
            certificatePath: haveCertificate ? certificate : nil)
    }

    func stop() {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// What the server recorded about one accepted message.
    struct Delivery: Decodable {
        var mailFrom: String
        var rcptTos: [String]
        var subject: String
        var from: String
        var to: String
        var contentType: String
        var text: String?
        var html: String?
        var tls: Bool
        var login: String?
        var raw: String
        var defects: [String]
    }

    /// The delivery whose envelope includes `recipient`, waiting briefly for the file to appear.
    func delivery(to recipient: String) async throws -> Delivery? {
        for _ in 0..<50 {
            let files = try FileManager.default.contentsOfDirectory(at: deliveries, includingPropertiesForKeys: nil)
            for file in files where file.pathExtension == "json" {
                let delivery = try JSONDecoder().decode(Delivery.self, from: Data(contentsOf: file))
                if delivery.rcptTos.contains(recipient) { return delivery }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    static let script = #"""
        import asyncio, email, email.policy, json, os, ssl, sys, threading, uuid
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        folder = sys.argv[1]

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.endswith("@rejected.test"):
                    return "550 5.1.1 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                raw = envelope.original_content or envelope.content
                message = email.message_from_bytes(raw, policy=email.policy.default)
                def body(kind):
                    part = message.get_body(preferencelist=(kind,))
                    if part is None or part.get_content_type() != "text/" + kind:
                        return None
                    return part.get_content().replace("\r\n", "\n")  # line breaks as \n, however the parser kept them
                record = {
                    "mailFrom": envelope.mail_from,
                    "rcptTos": envelope.rcpt_tos,
                    "subject": str(message["subject"]),
                    "from": str(message["from"]),
                    "to": str(message["to"]),
                    "contentType": message.get_content_type(),
                    "text": body("plain"),
                    "html": body("html"),
                    "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
                    "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
                    "raw": raw.decode("utf-8", "replace"),
                    "defects": [type(d).__name__ for part in message.walk() for d in part.defects],
                }
                path = os.path.join(folder, uuid.uuid4().hex)
                with open(path + ".tmp", "w") as f:
                    json.dump(record, f)
                os.rename(path + ".tmp", path + ".json")
                return "250 Message accepted"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"s3cret"
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        async def main():
            loop = asyncio.get_running_loop()
            handler = Handler()
            ports = {}
            plain = await loop.create_server(lambda: SMTP(handler, hostname="plain.test"), "127.0.0.1", 0)
            ports["plain"] = plain.sockets[0].getsockname()[1]
            if len(sys.argv) == 4:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(sys.argv[2], sys.argv[3])
                starttls = await loop.create_server(
                    lambda: SMTP(handler, hostname="starttls.test", tls_context=context, require_starttls=True,
                                 authenticator=authenticator, auth_require_tls=True),
                    "127.0.0.1", 0)
                ports["starttls"] = starttls.sockets[0].getsockname()[1]
                implicit = await loop.create_server(lambda: SMTP(handler, hostname="smtps.test"), "127.0.0.1", 0, ssl=context)
                ports["smtps"] = implicit.sockets[0].getsockname()[1]
            print(json.dumps(ports), flush=True)
            # End when the test process closes stdin (or dies).
            await loop.run_in_executor(None, sys.stdin.read)
            os._exit(0)

        asyncio.run(main())
        """#
}

/// Starts one ``LocalSMTPServer`` around a whole suite and stops it afterwards.
struct LocalSMTPServerTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try LocalSMTPServer.start()
        defer { server.stop() }
        try await LocalSMTPServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == LocalSMTPServerTrait {
    static var localSMTPServer: Self { Self() }
}
