import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward app-protection`: the tenant's app-protection records from the server's shell —
/// list them, and wipe an app's data on an instance (audited as the CLI).
struct AppProtectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app-protection", abstract: "Managed apps on unenrolled devices: list instances, wipe an app's data.",
        subcommands: [List.self, Wipe.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's app instances.")
        @OptionGroup var target: AdminCommand.Target
        @Option(help: "Only this user's instances.") var user: String?

        func run() async throws {
            if let user, !UserID.isWellFormed(user) { throw ValidationError("--user takes a user ID") }
            let (storage, tenantID, _, _) = try await target.open()
            defer { Task { await storage.close() } }
            let records = try await storage.records(
                AppProtectionRecord.self, tenantID: tenantID, filter: AppProtectionRecord.of(user.map(UserID.init(rawValue:))),
                after: nil, limit: 100_000)
            for record in records {
                print("\(record.id.rawValue)  \(record.appID)  \(record.appVersion)  \(record.platform.rawValue)  \(record.status.rawValue)  \(record.healthStatus.rawValue)  user=\(record.userID?.rawValue ?? "-")  last=\(record.lastCheckInAt.map(WireCoding.format) ?? "never")")
            }
        }
    }

    struct Wipe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Wipe the app's data on an instance: its key is withheld at once.")
        @OptionGroup var target: AdminCommand.Target
        @Argument(help: "The app instance ID.") var instance: String

        func run() async throws {
            guard AppInstanceID.isWellFormed(instance) else { throw ValidationError("takes an app instance ID") }
            let (storage, tenantID, _, auditor) = try await target.open()
            defer { Task { await storage.close() } }
            let id = AppInstanceID(rawValue: instance)
            let record = try await AppProtectionController.requestWipe(store: storage, tenantID: tenantID, instance: id, at: Date()) { changes in
                auditor.cliEvent(tenantID: tenantID, activity: "AppProtection", operation: .action, targetID: id.rawValue, targetName: nil, changes: changes)
            }
            print("Instance \(instance): \(record.status.rawValue).")
        }
    }
}
