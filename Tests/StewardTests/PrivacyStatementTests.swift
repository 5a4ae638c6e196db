import Foundation
import Testing
import StewardModel
import StewardServer

/// The privacy statement and the catalog behind it.
@Suite struct PrivacyStatementTests {
    @Test func everyTableHasATopicARetentionAndASubject() {
        #expect(Set(DataCatalog.tableDescriptions.map(\.name)) == DataCatalog.tables)
        #expect(DataCatalog.tableDescriptions.count == DataCatalog.tables.count, "each table described once")
        // What an export includes: personal data of tables about a person or their device.
        let exported = Set(DataCatalog.entries.filter(DataCatalog.exported).map { "\($0.table).\($0.column)" })
        #expect(exported.isSuperset(of: ["users.display_name", "users.upn", "devices.serial_number", "devices.wifi_mac_address"]))
        #expect(!exported.contains("tenants.name") && !exported.contains("devices.secret_verifier"))
    }

    /// Device views obey the catalog's personal-device display, whatever the store holds.
    @Test func personalDeviceViewsMaskWhatTheCatalogSays() {
        let displayed = DataCatalog.entries.filter { $0.table == "devices" && $0.personalDevice != .full }
        #expect(!displayed.isEmpty)
        #expect(Set(displayed.map(\.column)) == Set(PrivacyRules.personalDeviceFields.keys), "every declared display is implemented")
        let corporate = DeviceView(
            id: DeviceID(rawValue: "d"), platform: .linux, ownership: .corporate, deviceName: "n", manufacturer: nil, model: nil,
            operatingSystem: nil, osVersion: nil, kernelVersion: nil, serialNumber: "SER1", platformId: nil, imei: nil, meid: nil,
            iccid: nil, phoneNumber: "+1 555 0100 1234", networkInterfaces: [], wifiMacAddress: nil, cpuModel: nil, cpuCores: nil,
            memoryBytes: nil, diskBytes: nil, appCount: 0, refusedAppReports: 0, agentVersion: nil, enrolledAt: Date(),
            lastCheckInAt: nil)
        #expect(PrivacyRules.shown(corporate) == corporate)
        var personal = corporate
        personal.ownership = .personal
        let shown = PrivacyRules.shown(personal)
        #expect(shown.phoneNumber == "••••1234")
        #expect(shown.serialNumber == "SER1", "fields the catalog shows in full stay")
        #expect(PrivacyRules.shown(shown) == shown, "masking a masked value changes nothing")
    }

    @Test func theStatementReadsLikeTheSourceWithTheTenantsSettings() {
        let settings = PrivacyStatement.Settings(tenantName: "Acme & Co", compliantAppFeature: false, staleDeviceDays: 45, auditRetentionDays: 1095)
        let text = PrivacyStatement(settings: settings).render(.markdown)
        for expected in [
            "# Data collection in Steward for Acme & Co", "## Identified data", "## Pseudonymized data", "## Aggregated data",
            "Nothing Steward collects is sold", "- Hardware inventory information", "  - Serial number", "  - Wi-Fi MAC address",
            "- User information", "- Audit log information", "has not checked in for 45 days", "kept for 1095 days",
            "only from devices marked corporate-owned", "Phone number; on personal devices only the last four digits are kept — masked",
            "No data leaves Steward",
        ] {
            #expect(text.contains(expected), "statement says: \(expected)")
        }
        // Every identified column (but JSON containers) is named under its topic.
        for entry in DataCatalog.entries where entry.category == .identified && entry.column != "tenant_id" {
            let isContainer = DataCatalog.entries.contains { $0.table == entry.table && $0.column.hasPrefix(entry.column + ".") }
            if !isContainer { #expect(text.contains(PrivacyStatement.itemText(entry)), "\(entry.table).\(entry.column)") }
        }
        #expect(!text.contains("tenant_id") && !text.contains("(JSON, keys below)"))

        var open = settings
        open.compliantAppFeature = true
        #expect(PrivacyStatement(settings: open).render(.markdown).contains("has turned on the compliant-app feature"))
        let html = PrivacyStatement(settings: settings).render(.html)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<h1>Data collection in Steward for Acme &amp; Co</h1>"))
        #expect(html.contains("<strong>Nothing Steward collects is sold") && !html.contains("Acme & Co"))
    }

    @Test(arguments: StoreKind.available) func theAPIServesTheCatalogAndTheStatement(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { api in
            _ = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken,
                json: TenantSettingsPatch(staleDeviceDays: 60, auditRetentionDays: 365))
            let catalog = try await api.send(.GET, APIRoute.privacyCatalog.path, token: api.adminToken).decode(PrivacyCatalogView.self)
            #expect(catalog.fields.count == DataCatalog.entries.count && catalog.staleDeviceDays == 60 && !catalog.sold)
            #expect(catalog.fields.first { $0.table == "devices" && $0.column == "serial_number" }?.retention == .whileDeviceIsManaged)
            let statement = try await api.send(.GET, APIRoute.privacyStatement.path, token: api.adminToken)
            let text = String(decoding: statement.body, as: UTF8.self)
            #expect(text.contains("# Data collection in Steward for Acme") && text.contains("60 days") && text.contains("kept for 365 days"))
            let html = try await api.send(.GET, APIRoute.privacyStatement.path + "?format=html", token: api.adminToken)
            #expect(String(decoding: html.body, as: UTF8.self).contains("<h2>Identified data</h2>"))
            #expect(try await api.send(.GET, APIRoute.privacyStatement.path + "?format=pdf", token: api.adminToken).status == .badRequest)
            let tooLong = try await api.send(
                .PATCH, APIRoute.updateTenantSettings.path, token: api.adminToken, json: TenantSettingsPatch(auditRetentionDays: 20_000))
            #expect(tooLong.errorCode == "invalid_value")
        }
    }

    /// What leaves Steward is the declared flows of the connectors the tenant configured.
    @Test(arguments: StoreKind.available) func theStatementListsTheFlowsOfTheTenantsConnectors(store: StoreKind) async throws {
        let env = try await TestEnvironment(store)
        try await env.withClient { (api: APIClient) async throws -> Void in
            func leaves() async throws -> String {
                let text = String(decoding: try await api.send(.GET, APIRoute.privacyStatement.path, token: api.adminToken).body, as: UTF8.self)
                let start = try #require(text.range(of: "What leaves Steward"))
                return String(text[start.lowerBound...])
            }
            #expect(try await leaves().contains("this tenant has connected no third party"))
            // Connecting the directory (its first SCIM token) records it, with its tenant ID.
            _ = try await api.created(
                .POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Entra ID", directoryTenantId: "72f988bf-86f1-41af")) as SCIMTokenCreated
            _ = try await api.created(.POST, APIRoute.createSCIMToken.path, SCIMTokenRequest(name: "Entra ID, second token")) as SCIMTokenCreated
            let connectors = try await api.send(.GET, APIRoute.listConnectors.path, token: api.adminToken).decode(Page<ConnectorView>.self).items
            #expect(connectors.map(\.kind) == [.directory] && connectors[0].thirdPartyTenantId == "72f988bf-86f1-41af")
            var text = try await leaves()
            #expect(text.contains("Directory sync (SCIM) — Entra ID (third-party tenant 72f988bf-86f1-41af)"))
            #expect(!text.contains("Apple push"))
            // Apple's push service, with the Apple ID that made the certificate.
            let apple: ConnectorView = try await api.created(
                .POST, APIRoute.createConnector.path,
                ConnectorCreateRequest(kind: .applePush, name: "APNs", thirdPartyTenantId: "com.apple.mgmt.External.1", accountId: "mdm@example.test"))
            text = try await leaves()
            #expect(text.contains("Apple push notifications — APNs (third-party tenant com.apple.mgmt.External.1, account mdm@example.test)"))
            #expect(try await api.send(.DELETE, APIRoute.deleteConnector.path(apple.id.rawValue), token: api.adminToken).status == .noContent)
            #expect(!(try await leaves()).contains("Apple push"))
            let catalog = try await api.send(.GET, APIRoute.privacyCatalog.path, token: api.adminToken).decode(PrivacyCatalogView.self)
            #expect(Set(catalog.flows.map(\.connector)) == Set(ConnectorKind.allCases), "the catalog declares every flow")
        }
    }
}
