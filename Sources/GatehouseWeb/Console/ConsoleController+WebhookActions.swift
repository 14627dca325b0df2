import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird

/// The actions on a console webhook endpoint: secret rotation (the new `whsec_…` shown once; the
/// previous secret keeps signing for `overlap_seconds`, 86400 when empty, as the admin API's
/// default), a `webhook.test` event, and the endpoint's deliveries newest first with their
/// redelivery (same body and `webhook-id`). They run the admin API's functions
/// (`AdminController.webhookOverlap`, `issueWebhookSecret`, `WebhookService.queueTest`,
/// `queueRedelivery`) and are recorded as it records them: `webhook_endpoint.secret_rotated`,
/// `webhook_endpoint.test_sent`, `webhook_delivery.redelivered`, actor `operator`.
extension ConsoleController {
    func registerWebhookActions(_ console: RouterGroup<AppRequestContext>) {
        webhookRoute(console, "/rotate-secret", form: true) { try await self.rotateWebhookSecret($0, $1, $2, $3, $4) }
        webhookRoute(console, "/test", form: true) { try await self.sendWebhookTest($0, $2, $3, $4) }
        webhookRoute(console, "/deliveries", form: false) { page, _, endpoint, request, _ in
            try await self.listDeliveries(page, endpoint, request)
        }
        webhookRoute(console, "/deliveries/:delivery/redeliver", form: true) { try await self.redeliver($0, $2, $3, $4) }
    }

    /// Issues a new signing secret (shown once on the answer); the current one keeps signing
    /// beside it for `overlap_seconds` (0…2592000; 86400 when empty).
    func rotateWebhookSecret(
        _ page: TenantPage, _ form: FormParameters, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        var sent: [String: JSONValue] = [:]
        if let raw = form["overlap_seconds"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            sent["overlap_seconds"] = Int(raw).map { .number(Double($0)) } ?? .string(raw)
        }
        var input = JSONInput(object: sent)
        let overlap = AdminController.webhookOverlap(&input)
        guard input.errors.isEmpty else {
            var values = webhookValues(page, endpoint)
            values["overlap_seconds"] = form["overlap_seconds"] ?? ""
            Self.place(input.errors, in: &values)
            return self.page("admin_webhook", title: "Webhook", values: values, signedIn: page.signedIn, status: .unprocessableContent)
        }
        let admin = AdminController(services: services)
        let draft = operatorDraft(
            "webhook_endpoint.secret_rotated", page, target: ("webhook_endpoint", endpoint.id.rawValue), sent: sent, request, context)
        let rotated: WebhookEndpoint? = try await services.audited([draft], in: page.database, keepIf: { $0 != nil }) {
            var changed = endpoint
            return try await admin.issueWebhookSecret(for: &changed, overlap: overlap, in: page.database) ? changed : nil
        }
        guard let rotated else { return noSuchWebhook(page) }
        logChange("webhook secret rotated", page, endpoint.id.rawValue, context)
        return shownWebhook(page, rotated, secret: rotated.secret, notice: "A new signing secret was issued.")
    }

    /// The 409 page of an action a disabled endpoint cannot take (test event, redelivery).
    func refuseDisabled(_ page: TenantPage, _ endpoint: WebhookEndpoint) -> Response {
        var values = webhookValues(page, endpoint)
        values["error"] = "Not sent: \(AdminController.webhookDisabled)."
        return self.page("admin_webhook", title: "Webhook", values: values, signedIn: page.signedIn, status: .conflict)
    }

    /// Queues a `webhook.test` event for this endpoint alone (any filter) and shows its deliveries.
    func sendWebhookTest(
        _ page: TenantPage, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard endpoint.enabled else { return refuseDisabled(page, endpoint) }
        let draft = operatorDraft("webhook_endpoint.test_sent", page, target: ("webhook_endpoint", endpoint.id.rawValue), request, context)
        _ = try await services.audited([draft], in: page.database) { try await services.webhooks.queueTest(endpoint, in: page.database) }
        logChange("webhook test event queued", page, endpoint.id.rawValue, context)
        return redirect("\(page.path)/webhooks/\(endpoint.id.rawValue)/deliveries?notice=test-sent", signedIn: page.signedIn)
    }

    /// The endpoint's deliveries, newest first, `limit` per page (1…200, default 50) before the
    /// delivery `after`: status, attempts, the last answer's status and error, times, and a
    /// redelivery form each.
    func listDeliveries(_ page: TenantPage, _ endpoint: WebhookEndpoint, _ request: Request) async throws -> Response {
        let (limit, after) = Self.pageParameters(request)
        let url = "\(page.path)/webhooks/\(endpoint.id.rawValue)"
        var deliveries = try await page.database.webhookDeliveries(
            endpoint: endpoint.id, before: WebhookDeliveryID(rawValue: after), limit: limit + 1)
        var values = webhookValues(page, endpoint)
        if deliveries.count > limit {
            deliveries.removeLast(deliveries.count - limit)
            values["next_url"] = Self.nextURL("\(url)/deliveries", after: deliveries[limit - 1].id.rawValue, limit: limit)
        }
        values["deliveries"] = deliveries.map { delivery -> [String: Any] in
            var row: [String: Any] = [
                "id": delivery.id.rawValue, "event_id": delivery.eventID, "event_type": delivery.eventType, "status": delivery.status.rawValue,
                "status_\(delivery.status.rawValue)": true, "attempts": delivery.attempts, "created_at": Self.date(delivery.createdAt),
                "updated_at": Self.date(delivery.updatedAt), "redeliver_action": "\(url)/deliveries/\(delivery.id.rawValue)/redeliver",
            ]
            if let status = delivery.lastResponseStatus { row["last_response_status"] = String(status) }
            if let error = delivery.lastError, !error.isEmpty { row["last_error"] = error }
            if let next = delivery.nextAttemptAt, delivery.status == .pending { row["next_attempt_at"] = Self.date(next) }
            if let done = delivery.deliveredAt { row["delivered_at"] = Self.date(done) }
            return row
        }
        if let notice = request.queryParameters["notice"].flatMap({ Self.webhookNotices[$0] }) { values["notice"] = notice }
        return self.page("admin_webhook_deliveries", title: "Deliveries", values: values, signedIn: page.signedIn)
    }

    /// Queues a delivery's event again for its endpoint (same body and `webhook-id`) as a new
    /// delivery; a delivery of another endpoint is a 404 page, a disabled endpoint a 409 page.
    func redeliver(
        _ page: TenantPage, _ endpoint: WebhookEndpoint, _ request: Request, _ context: AppRequestContext
    ) async throws -> Response {
        guard let raw = context.parameters.get("delivery"), let id = WebhookDeliveryID(rawValue: raw),
            let delivery = try await page.database.webhookDelivery(id: id), delivery.endpointID == endpoint.id
        else {
            let back = ("\(page.path)/webhooks/\(endpoint.id.rawValue)/deliveries", "Deliveries")
            return missing(page, "No such delivery", "This endpoint has no delivery with this id.", back: back)
        }
        guard endpoint.enabled else { return refuseDisabled(page, endpoint) }
        let draft = operatorDraft("webhook_delivery.redelivered", page, target: ("webhook_delivery", id.rawValue), request, context)
        _ = try await services.audited([draft], in: page.database) { try await services.webhooks.queueRedelivery(of: delivery, in: page.database) }
        logChange("webhook delivery queued again", page, id.rawValue, context)
        return redirect("\(page.path)/webhooks/\(endpoint.id.rawValue)/deliveries?notice=redelivered", signedIn: page.signedIn)
    }
}
