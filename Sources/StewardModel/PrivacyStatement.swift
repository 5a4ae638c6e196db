import Foundation

/// The privacy statement of one tenant, generated from the data catalog and the tenant's
/// settings, in the shape of the source document: sources, the three categories with what each
/// holds, what personal devices show, how long each kind is kept, what leaves Steward. Being
/// generated, it cannot disagree with the code.
public struct PrivacyStatement: Sendable {
    public struct Settings: Sendable, Equatable {
        public var tenantName: String
        public var compliantAppFeature: Bool
        public var staleDeviceDays: Int
        public var auditRetentionDays: Int
        /// The third parties the tenant connects: their flows are what leaves Steward.
        public var connectors: [ConnectorView]

        public init(
            tenantName: String, compliantAppFeature: Bool, staleDeviceDays: Int, auditRetentionDays: Int, connectors: [ConnectorView] = []
        ) {
            self.tenantName = tenantName
            self.compliantAppFeature = compliantAppFeature
            self.staleDeviceDays = staleDeviceDays
            self.auditRetentionDays = auditRetentionDays
            self.connectors = connectors
        }
    }

    public enum Format: String, Sendable, CaseIterable {
        case markdown, html
    }

    let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    static let sourceNames: [(DataSource, String)] = [
        (.admin, "The admins' own use of Steward (the console, the API and the CLI)."),
        (.device, "End-user devices, when they enroll and at every check-in while managed."),
        (.thirdParty, "Accounts at third-party services the tenant connects (such as an Apple ID)."),
        (.diagnostics, "Diagnostic, performance and usage information."),
        (.system, "Steward itself: identifiers, times and hashes it makes."),
    ]

    static let categoryText: [(DataCategory, String, String)] = [
        (.identified, "Identified data",
         "Tied to a user, device or app, and needed to manage it. Used to manage users' devices and apps and to run the service."),
        (.pseudonymized, "Pseudonymized data",
         "Keyed by an identifier Steward makes, which on its own identifies nobody."),
        (.aggregated, "Aggregated data", "Counts with no individual in them, used for reports."),
    ]

    public func retentionText(_ retention: Retention) -> String {
        switch retention {
        case .whileTenantExists: "kept as long as the tenant"
        case .untilDeleted: "kept until an admin deletes it"
        case .whileDeviceIsManaged:
            "kept while the device is managed; a device that has not checked in for \(settings.staleDeviceDays) days is removed with everything collected from it"
        case .untilEnded: "kept until revoked or expired, then deleted 30 days later"
        case .auditRetention:
            "kept for \(settings.auditRetentionDays) days; entries cannot be changed or deleted by any admin, and a hash chain shows any change made outside Steward"
        case .rawDiagnostics:
            "kept for 30 days under pseudonyms only, then deleted; the daily counts made from them stay"
        case .whileSubjectExists:
            "kept while the device or user exists; an erasure deletes it, after which their diagnostics can no longer be linked to them"
        case .serviceRecord: "records of the service itself, with no personal content"
        case .whileAppInstanceIsManaged:
            "kept while the app instance checks in, removed after \(settings.staleDeviceDays) days without a check-in or with its user; its data key is destroyed when an admin wipes the app's data"
        case .supportCase:
            "kept while the case is open and \(SupportCases.retentionDays) days after it closed; an erasure of the person it concerns, or of its contact, deletes it at once"
        }
    }

    /// The statement's sections as plain data, rendered to Markdown or HTML.
    struct Section {
        var title: String
        var paragraphs: [String]
        /// Topic → items.
        var lists: [(String, [String])]
    }

    func sections() -> [Section] {
        let entries = DataCatalog.entries
        var result: [Section] = []
        let sources = Set(entries.map(\.source))
        result.append(Section(
            title: "Data collection in Steward for \(settings.tenantName)",
            paragraphs: [
                "When devices of \(settings.tenantName) enroll in Steward, corporate or personal, Steward collects personal data from these sources:",
            ] + Self.sourceNames.filter { sources.contains($0.0) }.map { "- " + $0.1 } + [
                "Everything Steward stores falls into one of three categories — identified, pseudonymized and aggregated — or is technical data with no personal content (keys, times, hashes). Each stored field is declared once in Steward's data catalog; this statement is generated from it.",
                "**Nothing Steward collects is sold, or shared with any third party.**",
            ],
            lists: []))
        for (category, title, text) in Self.categoryText {
            var topics: [String: [String]] = [:]
            var order: [String] = []
            for entry in entries where entry.category == category && Self.isListed(entry) {
                let topic = DataCatalog.table(entry.table)?.topic ?? entry.table
                if topics[topic] == nil { order.append(topic) }
                let text = Self.itemText(entry)
                if !(topics[topic] ?? []).contains(text) { topics[topic, default: []].append(text) }
            }
            var paragraphs = [text]
            if category == .identified {
                paragraphs.append(
                    settings.compliantAppFeature
                        ? "Application inventory is collected from corporate-owned devices, and — because \(settings.tenantName) has turned on the compliant-app feature — from personal devices too."
                        : "Application inventory is collected only from devices marked corporate-owned; on personal devices only the apps Steward manages are tracked.")
            }
            if order.isEmpty { paragraphs.append("Steward holds no data of this category.") }
            result.append(Section(title: title, paragraphs: paragraphs, lists: order.map { ($0, topics[$0] ?? []) }))
        }
        let masked = entries.filter { $0.personalDevice != .full }
        result.append(Section(
            title: "Personal devices",
            paragraphs: [
                "On a personal device Steward collects and shows less. When a device changes from corporate to personal, its app inventory and full phone number are deleted at once. Steward never collects a device's location.",
            ],
            lists: [("What personal devices show differently", masked.map { entry in
                "\(Self.itemText(entry)) — \(entry.personalDevice == .masked ? "masked" : "not shown")"
            })]))
        let kept = Dictionary(grouping: DataCatalog.tableDescriptions, by: \.retention)
        result.append(Section(
            title: "How long data is kept",
            paragraphs: [],
            lists: Retention.allCases.compactMap { retention in
                guard let tables = kept[retention] else { return nil }
                var topics: [String] = []
                for table in tables where !topics.contains(table.topic) { topics.append(table.topic) }
                return (topics.joined(separator: ", "), [retentionText(retention)])
            }))
        result.append(Section(
            title: "What Steward does not keep",
            paragraphs: [
                "Agents that speak the OCS Inventory protocol (OCS Inventory, FusionInventory, GLPI Agent) send more than Steward needs. Whatever the data catalog does not name is dropped as it arrives — before anything is stored — and only counted:",
            ],
            lists: [("Dropped on arrival", DataCatalog.droppedOnArrival)]))
        // The declared flows of the connectors this tenant configured, each with its third party's IDs.
        let open = settings.connectors.sorted { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }.compactMap { connector in
            DataCatalog.flows.first { $0.connector == connector.kind }.map { flow in
                let ids = [connector.thirdPartyTenantId.map { "third-party tenant \($0)" }, connector.accountId.map { "account \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ")
                return "\(flow.name) — \(connector.name)\(ids.isEmpty ? "" : " (\(ids))"): \(flow.data.joined(separator: "; ")), to \(flow.recipient), to \(flow.purpose)"
            }
        }
        result.append(Section(
            title: "What leaves Steward",
            paragraphs: open.isEmpty
                ? ["No data leaves Steward: this tenant has connected no third party, and Steward sends nothing to anyone else. Devices send their inventory to Steward, and admins read it through Steward's own API and console."]
                : ["Data leaves Steward only along the declared flows of the third parties this tenant connected:"],
            lists: open.isEmpty ? [] : [("Flows", open)]))
        return result
    }

    /// Every column but the repeated `tenant_id` keys (the tenant ID is listed once, with the
    /// tenant) and JSON containers (their keys are listed instead).
    static func isListed(_ entry: CatalogEntry) -> Bool {
        if entry.column == "tenant_id" { return false }
        return !DataCatalog.entries.contains { $0.table == entry.table && $0.column.hasPrefix(entry.column + ".") }
    }

    public static func itemText(_ entry: CatalogEntry) -> String {
        var text = entry.purpose
        for prefix in ["Hardware inventory: ", "App catalog: ", "App inventory: ", "Setting: "] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
            text = text.prefix(1).uppercased() + text.dropFirst()
        }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .markdown: markdown()
        case .html: html()
        }
    }

    func markdown() -> String {
        var out = ""
        for (index, section) in sections().enumerated() {
            out += (index == 0 ? "# " : "\n## ") + section.title + "\n\n"
            var inList = false
            for paragraph in section.paragraphs where !paragraph.isEmpty {
                let item = paragraph.hasPrefix("- ")
                if inList && !item { out += "\n" }
                out += paragraph + (item ? "\n" : "\n\n")
                inList = item
            }
            if inList { out += "\n" }
            for (topic, items) in section.lists {
                out += "- \(topic)\n"
                for item in items { out += "  - \(item)\n" }
            }
        }
        return out
    }

    func html() -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        func inline(_ text: String) -> String {
            // The one piece of emphasis the statement uses: **bold**.
            let parts = escape(text).components(separatedBy: "**")
            return parts.enumerated().map { $0.offset % 2 == 1 ? "<strong>\($0.element)</strong>" : $0.element }.joined()
        }
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(sections()[0].title))</title></head><body>\n"
        for (index, section) in sections().enumerated() {
            out += index == 0 ? "<h1>\(escape(section.title))</h1>\n" : "<h2>\(escape(section.title))</h2>\n"
            var bullets: [String] = []
            func flush() {
                if !bullets.isEmpty { out += "<ul>" + bullets.map { "<li>\(inline($0))</li>" }.joined() + "</ul>\n" }
                bullets = []
            }
            for paragraph in section.paragraphs where !paragraph.isEmpty {
                if paragraph.hasPrefix("- ") { bullets.append(String(paragraph.dropFirst(2))); continue }
                flush()
                out += "<p>\(inline(paragraph))</p>\n"
            }
            flush()
            if !section.lists.isEmpty {
                out += "<ul>\n"
                for (topic, items) in section.lists {
                    out += "<li>\(escape(topic))<ul>" + items.map { "<li>\(escape($0))</li>" }.joined() + "</ul></li>\n"
                }
                out += "</ul>\n"
            }
        }
        return out + "</body></html>\n"
    }
}
