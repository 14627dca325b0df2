/// The version of this build, printed by `gatehouse version` / `--version`.
public enum GatehouseVersion {
    /// Semantic version of the release.
    public static let current = "0.5.0"
}
