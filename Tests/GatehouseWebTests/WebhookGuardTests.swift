import Foundation
import GatehouseCore
import GatehouseOutbound
import Testing

@testable import GatehouseWeb

/// What keeps one tenant's webhooks from hurting the others or the server (docs/contract.md A9):
/// the delivery slots per node and per tenant, the destination rules at save time, the fixed
/// `last_error` sentences, and the query values of URLs kept out of the audit log.
struct WebhookGuardTests {
    @Test("a tenant holds at most its share of the node's delivery slots, and the node no more than its total")
    func slots() {
        let slots = WebhookDeliverySlots(total: 5, perTenant: 2)
        let a = TenantID.generate(at: Date()), b = TenantID.generate(at: Date()), c = TenantID.generate(at: Date())
        #expect(slots.reserve(for: a, upTo: 10) == 2)
        #expect(slots.reserve(for: a, upTo: 1) == 0, "tenant A is at its share")
        #expect(slots.reserve(for: b, upTo: 2) == 2)
        #expect(slots.reserve(for: c, upTo: 2) == 1, "the node has one slot left")
        #expect(slots.inUse() == 5 && slots.inUse(by: a) == 2)
        slots.release(for: a)
        #expect(slots.reserve(for: c, upTo: 2) == 1, "a released slot goes to whoever asks next")
        slots.release(for: a)
        slots.release(for: b, count: 2)
        slots.release(for: c, count: 2)
        #expect(slots.inUse() == 0 && slots.inUse(by: c) == 0)
        #expect(WebhookDeliverySlots(total: 3, perTenant: 9).perTenant == 3)
    }

    @Test("destination URLs: an IPv4 address only as a dotted quad, a real port, a host name of DNS labels")
    func destinations() {
        var federation = FederationConfiguration()
        federation.allowedPrivateNetworks = ["127.0.0.0/8"]
        let open = WebhookDestinations(federation: FederationConfiguration(), timeoutSeconds: 10)
        let lab = WebhookDestinations(federation: federation, timeoutSeconds: 10)
        for good in [
            "https://hooks.example.com/x?a=1", "https://hooks.example.com:8443/x", "https://xn--bcher-kva.example/", "https://a_b.example.com/",
            "https://b\u{00FC}cher.example/",
            "https://hooks.example.com./x", "https://93.184.216.34/x", "https://[2606:2800:220:1:248:1893:25c8:1946]/x",
        ] {
            #expect(open.problem(with: good) == nil, "\(good)")
        }
        #expect(lab.problem(with: "http://127.0.0.1:9000/hook") == nil)
        for numeric in ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "0x7f.1", "1.2.3.0x4", "example.123"] {
            #expect(open.problem(with: "https://\(numeric)/x")?.contains("four decimal numbers") == true, "\(numeric)")
            #expect(lab.problem(with: "http://\(numeric)/x") != nil, "\(numeric) is refused even where 127/8 is allowed")
        }
        for port in ["0", "65536", "99999"] {
            #expect(open.problem(with: "https://hooks.example.com:\(port)/x") != nil, "port \(port)")
        }
        for host in ["-bad.example.com", "bad-.example.com", "a..b.example", "ex%41mple.com", "a.b*c.example", String(repeating: "a", count: 64) + ".com"] {
            #expect(open.problem(with: "https://\(host)/x") != nil, "\(host)")
        }
        #expect(open.problem(with: "https://10.0.0.1/x")?.contains("allowed_private_networks") == true)
        #expect(open.problem(with: "https://user:pw@hooks.example.com/x") != nil)
    }

    @Test("last_error never carries the library's text or a resolved address")
    func reasons() {
        let errors: [OutboundError] = [
            .destinationNotAllowed("10.1.2.3 (private)"), .invalidURL("x"), .schemeNotAllowed("ftp"), .timedOut,
            .connectionFailed("Failed to connect to 10.9.8.7 port 25"), .tlsFailure("SSL certificate problem: self-signed"),
            .responseTooLarge, .tooManyRedirects, .insecureRedirect, .invalidRequest("x"), .transport("Recv failure: Connection reset"),
        ]
        for error in errors {
            let (reason, _) = WebhookService.reason(error, timeoutSeconds: 10)
            #expect(!reason.contains("10.") && !reason.contains("SSL") && !reason.contains("Recv") && !reason.contains("port 25"), "\(reason)")
        }
        #expect(WebhookService.reason(.destinationNotAllowed("x"), timeoutSeconds: 10).retry == false)
        #expect(WebhookService.reason(.timedOut, timeoutSeconds: 7) == ("no answer within 7 s", true))
    }

    @Test("the audit log keeps a URL's query names but not their values")
    func urlQueries() {
        #expect(AuditRedaction.redactingQuery(of: "https://h.example/x?token=s3cret&v=2") == "https://h.example/x?token=%5Bredacted%5D&v=%5Bredacted%5D")
        #expect(AuditRedaction.redactingQuery(of: "https://h.example/x") == "https://h.example/x")
        #expect(AuditRedaction.redactingQuery(of: "https://u:p@h.example/x") == "https://h.example/x")
        let data = AuditRedaction.redact(.object(["url": .string("https://h.example/x?token=s3cret"), "nested": .object(["url": .string("https://a/?k=v")])]))
        #expect(!"\(data)".contains("s3cret") && !"\(data)".contains("k=v"))
    }
}
