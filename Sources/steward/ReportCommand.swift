import ArgumentParser
import Foundation
import StewardModel
import StewardServer
import StewardStore

/// `steward report usage`: for the deployment's operator, how the admins of all tenants use
/// Steward's features, per day and route — never per tenant, and with every cell of fewer
/// than five tenants or calls suppressed.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports for the deployment's operator.", subcommands: [Usage.self])

    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Admin usage of features across all tenants (cells under \(FeatureUsageCell.threshold) suppressed).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Days back from today (UTC).") var days = 30
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard (1...366).contains(days) else { throw ValidationError("--days is 1 to 366") }
            let storage = try await store.openStorage(try store.layers(), create: false)
            let cells: [FeatureUsageCell]
            do {
                cells = try await storage.featureUsage(from: DiagnosticsDay.day(of: Date().addingTimeInterval(-Double(days - 1) * 86_400)))
            } catch {
                await storage.close()
                throw error
            }
            await storage.close()
            if json { return try printJSON(cells) }
            print("day         tenants  calls  feature")
            for cell in cells {
                let tenants = cell.tenants.map(String.init) ?? "<\(FeatureUsageCell.threshold)"
                let calls = cell.calls.map(String.init) ?? "–"
                print("\(cell.day)  \(tenants.padding(toLength: 7, withPad: " ", startingAt: 0))  \(calls.padding(toLength: 5, withPad: " ", startingAt: 0))  \(cell.feature)")
            }
            if cells.isEmpty { print("(no admin requests recorded in the last \(days) days)") }
        }
    }
}
