import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward privacy statement`: the tenant's privacy statement, generated from the data catalog
/// and the tenant's settings (the same text as `GET /api/v1/privacy/statement`).
struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "What Steward holds about people, and why; data-subject requests.",
        subcommands: [Statement.self, Export.self, Erase.self])

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
            let chosen = tenant.map { id in tenants.filter { $0.id.rawValue == id } } ?? tenants
            guard chosen.count == 1, let record = chosen.first else {
                await storage.close()
                throw CommandFailure(tenant == nil ? "there are \(tenants.count) tenants: name one with --tenant" : "no tenant \(tenant ?? "")")
            }
            let connectors = try await storage.records(ConnectorRecord.self, tenantID: record.id, filter: [:], after: nil, limit: 1_000)
            await storage.close()
            print(PrivacyStatement(settings: .init(record, connectors: connectors)).render(format), terminator: "")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export everything identified about a user as JSON (audited).")
        @OptionGroup var target: AdminCommand.Target
        @Option(help: "The user's ID.") var user: String
        @Option(help: "Write the bundle here instead of standard output (created mode 0600).") var output: String?

        func run() async throws {
            guard UserID.isWellFormed(user) else { throw ValidationError("--user takes a user ID") }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let userID = UserID(rawValue: user)
            let bundle = try await DataSubjectRequests(store: storage, clock: .system).export(tenantID: tenantID, userID: userID) { changes in
                auditor.cliEvent(tenantID: tenantID, activity: "PrivacyExport", operation: .action, targetID: userID.rawValue, targetName: nil, changes: changes)
            }
            let encoder = WireCoding.encoder()
            encoder.outputFormatting.insert(.prettyPrinted)
            let data = try encoder.encode(bundle)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw CommandFailure("cannot write \(output)")
                }
                print("Wrote \(output): \(bundle.devices.count) devices, \(bundle.auditEntries.count) audit entries.")
            } else {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a user and their devices (audited; cannot be undone).")
        @OptionGroup var target: AdminCommand.Target
        @Option(help: "The user's ID.") var user: String
        @Flag(help: "Confirm: the erasure cannot be undone.") var confirm = false

        func run() async throws {
            guard UserID.isWellFormed(user) else { throw ValidationError("--user takes a user ID") }
            guard confirm else { throw ValidationError("an erasure cannot be undone: add --confirm") }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let userID = UserID(rawValue: user)
            let result = try await DataSubjectRequests(store: storage, clock: .system).erase(tenantID: tenantID, userID: userID) { changes in
                auditor.cliEvent(tenantID: tenantID, activity: "PrivacyErasure", operation: .delete, targetID: userID.rawValue, targetName: nil, changes: changes)
            }
            print("Erased user \(user): \(result.devicesDeleted) devices deleted, \(result.auditEntriesBlanked) audit entries blanked, \(result.appCatalogRowsPurged) app catalog rows purged.")
        }
    }
}
