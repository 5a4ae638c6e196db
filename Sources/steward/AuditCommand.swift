import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward audit verify`: walks every tenant's hash chain with the deployment's master key and
/// names the first entry that was altered, removed or re-ordered. Exits 1 when a chain is broken.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify every tenant's audit hash chain.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this tenant.") var tenant: String?
        @Flag(help: "Print one JSON object per tenant.") var json = false

        func run() async throws {
            let layers = try store.layers()
            let storage = try await store.openStorage(layers, create: false)
            let chain = try await store.masterKey(layers, for: storage, create: false).auditChain
            let broken: Bool
            do {
                broken = try await verifyAuditChains(storage, chain: chain, tenant: tenant, json: json)
            } catch {
                await storage.close()
                throw error
            }
            await storage.close()
            if broken { throw ExitCode(1) }
        }
    }
}

/// Walks the tenants' audit chains (or one tenant's), printing each; true when one is broken.
func verifyAuditChains(_ storage: any Storage, chain: AuditChain, tenant: String? = nil, json: Bool) async throws -> Bool {
    var broken = false
    for record in try await storage.tenants() where tenant == nil || record.id.rawValue == tenant {
        let result = try await storage.verifyAuditChain(tenantID: record.id, chain: chain)
        broken = broken || result.firstBroken != nil
        if json {
            try printJSON(result)
        } else if let first = result.firstBroken {
            print("tenant \(record.id) '\(record.name)': BROKEN at entry #\(first.sequence) (\(first.entryId ?? "?")): \(first.reason)")
        } else {
            print("tenant \(record.id) '\(record.name)': \(result.entries) entries, chain intact")
        }
    }
    return broken
}
