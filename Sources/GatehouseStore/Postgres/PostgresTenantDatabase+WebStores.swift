import GatehouseCore

/// The web layer's storage protocols on PostgreSQL; their requirements are implemented in
/// `PostgresTenantDatabase+Users.swift`, `+Accounts.swift`, `+SignIn.swift`, `+SecondFactors.swift`,
/// `+Federation.swift`, `+Mail.swift` and `+Templates.swift`.
extension PostgresTenantDatabase: AccountStore, SecondFactorStore, FederationStore, MailOutboxStore, TemplateStore {}
