extension PostgresSchemas {
    /// The tables of the web layer's stores (accounts, second factors, federation, mail outbox,
    /// template overrides), in `{schema}`.
    static let tenantWebV1: [String] = []
}
