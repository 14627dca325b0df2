import Hummingbird

extension AdminController {
    /// Upstream login providers of a tenant (federation issue).
    func registerProviderRoutes(_ admin: RouterGroup<AppRequestContext>) {}
}
