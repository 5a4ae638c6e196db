/// Failures a storage role reports in domain terms; the HTTP edge maps them once.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    case conflict(String)
    /// The database was written by a newer Steward: refuse to touch it.
    case schemaTooNew(applied: [String])
    case unavailable(String)
    /// Enrolling a machine the tenant already has, without proof that it is that machine.
    case alreadyEnrolled
    /// The database could not do the work now; nothing of the request was stored.
    case outage(StoreOutage)
}

/// Why the database could not serve a request — the request did nothing, and the same
/// request can be sent again later. Each store recognises its own driver's errors
/// (`Storage.outage(causedBy:)`), so the HTTP edge answers every one of them the same way.
public enum StoreOutage: String, Sendable, Equatable, CaseIterable {
    /// The database cannot be reached, went away mid-request, or is shutting down or starting.
    case unavailable
    /// Every connection stayed busy, or a lock stayed held, for longer than a request waits.
    case busy
    /// The disk (or the database's quota) is full: nothing more can be written until an
    /// operator frees space.
    case full
}
