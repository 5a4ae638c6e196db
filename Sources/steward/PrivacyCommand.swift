import ArgumentParser
import Foundation
import StewardModel
import StewardStore

/// `steward privacy statement`: the tenant's privacy statement, generated from the data catalog
/// and the tenant's settings (the same text as `GET /api/v1/privacy/statement`).
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "What Steward holds about people, and why.", subcommands: [Statement.self])

    struct Statement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tenant's privacy statement.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Tenant ID (needed when there is more than one tenant).") var tenant: String?
        @Option(help: "markdown or html.") var format = "markdown"

        func run() async throws {
            guard let format = PrivacyStatement.Format(rawValue: format) else {
                throw ValidationError("--format is markdown or html")
            }
            let storage = try await store.openStorage(try store.layers(), create: false)
            let tenants = try await storage.tenants()
            await storage.close()
            let chosen = tenant.map { id in tenants.filter { $0.id.rawValue == id } } ?? tenants
            guard chosen.count == 1, let record = chosen.first else {
                throw ValidationError(tenant == nil ? "there are \(tenants.count) tenants: name one with --tenant" : "no tenant \(tenant ?? "")")
            }
            print(PrivacyStatement(settings: .init(record)).render(format), terminator: "")
        }
    }
}
