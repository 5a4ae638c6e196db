import StewardModel

extension AppRecord {
    /// The key of one distinct app in a tenant's `software` table: every field length-prefixed
    /// in Unicode scalars (an absent one as `~`), so no two different apps share it. Migration
    /// 0004 computes the same text in SQL (`length()` counts scalars on both stores).
    public var softwareFingerprint: String {
        func field(_ value: String?) -> String {
            guard let value else { return "~" }
            return "\(value.unicodeScalars.count):\(value)"
        }
        return field(appId) + field(name) + field(version) + field(sizeBytes.map(String.init)) + field(installLocation)
    }
}
