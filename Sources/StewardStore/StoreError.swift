/// Failures a storage role reports in domain terms; the HTTP edge maps them once.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    case conflict(String)
    /// The database was written by a newer Steward: refuse to touch it.
    case schemaTooNew(applied: [String])
    case unavailable(String)
    /// Enrolling a machine the tenant already has, without proof that it is that machine.
    case alreadyEnrolled
}
