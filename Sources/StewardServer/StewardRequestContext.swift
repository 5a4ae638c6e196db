import Foundation
import Hummingbird
import StewardModel

/// Per-request facts: the request ID and, once authenticated, the admin's tenant.
public struct StewardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    /// Set by admin authentication; every admin query is filtered by it.
    public var tenantID: TenantID?
    public var adminID: AdminID?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = UUID().uuidString.lowercased()
    }

    public var responseEncoder: JSONEncoder { WireCoding.encoder() }
    public var requestDecoder: JSONDecoder { WireCoding.decoder() }
}
