import Crypto
import Foundation
import StewardModel
import StewardStore

/// The tenants' pseudonym keys: 32 random bytes per tenant, made on first use and stored only
/// sealed under the master key; a rotation starts a new version and destroys the old bytes.
struct PseudonymKeys: Sendable {
    let store: any DiagnosticsStore
    let masterKey: MasterKey
    let clock: Clock

    /// The pseudonymizer of the tenant's current key, making the first key when there is none.
    func current(tenantID: TenantID) async throws -> Pseudonymizer {
        for _ in 0..<2 {
            if let key = try await store.pseudonymKey(tenantID: tenantID), let sealed = key.sealedKey {
                return Pseudonymizer(version: key.version, key: SymmetricKey(data: try masterKey.open(sealed)))
            }
            try await store.createFirstPseudonymKey(
                PseudonymKeyRecord(tenantID: tenantID, version: 1, sealedKey: try newSealedKey(), createdAt: clock.now()))
        }
        throw StoreError.notFound
    }

    func rotate(tenantID: TenantID, audit: @escaping @Sendable (Int) -> AuditEvent) async throws -> PseudonymKeyRecord {
        try await store.rotatePseudonymKey(tenantID: tenantID, sealedKey: try newSealedKey(), at: clock.now(), audit: audit)
    }

    private func newSealedKey() throws -> Data {
        try masterKey.seal(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
