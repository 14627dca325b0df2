import Hummingbird

extension AdminController {
    /// Page and email template overrides of a tenant (accounts issue).
    func registerTemplateRoutes(_ admin: RouterGroup<AppRequestContext>) {}
}
