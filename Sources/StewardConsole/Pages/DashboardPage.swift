import Foundation
import StewardModel

/// The tenant at a glance: counts and charts from the report summary and the managed apps.
public enum DashboardPage {
    public struct AppState: Sendable {
        public var app: ManagedAppView
        public var summary: AppInstallSummary
        public init(app: ManagedAppView, summary: AppInstallSummary) {
            self.app = app
            self.summary = summary
        }
    }

    public static func render(
        viewer: ConsoleViewer, summary: ReportSummary, apps: [AppState]
    ) -> HTML {
        let devices = summary.devices
        let byPlatform = devices.byPlatform.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { Chart.Bar($0.key, $0.value) }
        let byOwnership = devices.byOwnership.sorted { $0.key < $1.key }.map { Chart.Bar($0.key, $0.value) }
        let byOS = devices.byOperatingSystem.prefix(10).map {
            Chart.Bar([$0.name ?? "Not reported", $0.version].compactMap { $0 }.joined(separator: " "), $0.devices)
        }
        let checkIns = summary.checkIns.map { Chart.Bar(String($0.day.dropFirst(5)), $0.count) }
        let states = AppInstallState.allCases
        let worst = apps.map { state -> (AppState, Int) in
            (state, state.summary.devices(in: .failed))
        }.sorted { ($0.1, $1.0.app.name) > ($1.1, $0.0.app.name) }.prefix(8)
        let stacks = worst.map { app, _ in
            Chart.Stack(app.app.name, states.map { app.summary.devices(in: $0) })
        }
        var diagnostics: [String: Int] = [:]
        for day in summary.diagnostics { diagnostics["\(day.kind.rawValue): \(day.name)", default: 0] += day.events }
        let diagnosticBars = diagnostics.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(10).map { Chart.Bar($0.key, $0.value) }

        let inactive: HTML = """
            <a class="stat" href="/devices?seen=inactive" id="inactive"><b>\(summary.inactiveDevices)</b>\
            no check-in for \(summary.inactiveDays) days</a>
            """
        return Layout.page(
            title: "Dashboard", section: .dashboard, viewer: viewer,
            """
            <h1>Dashboard</h1><div class="stats" id="stats"><div class="stat"><b>\(devices.total)</b>devices</div>\
            <div class="stat"><b>\(devices.byOwnership["corporate"] ?? 0)</b>corporate</div>\
            <div class="stat"><b>\(devices.byOwnership["personal"] ?? 0)</b>personal</div>\
            <div class="stat"><b>\(summary.users)</b>users</div>\(inactive)</div>\
            <div class="cards">\
            \(Chart.line(title: "Check-ins per day, last 30 days", checkIns))\
            \(Chart.bars(title: "Devices by platform", byPlatform))\
            \(Chart.bars(title: "Devices by operating system", Array(byOS)))\
            \(Chart.bars(title: "Devices by ownership", byOwnership))\
            \(Chart.stackedBars(title: "Managed apps with the most failed installs", series: states.map(\.rawValue), Array(stacks)))\
            \(Chart.bars(title: "Diagnostics, last 30 days (pseudonymized roll-up)", Array(diagnosticBars), valueHeading: "Events"))\
            </div>
            """)
    }
}
