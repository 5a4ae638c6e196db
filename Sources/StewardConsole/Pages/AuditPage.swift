import Foundation
import StewardModel

/// The audit log: filters, entries with their changes, the export and the chain's state.
public enum AuditPage {
    public struct Filters: Sendable {
        public var actorId: String?
        public var activity: String?
        public var targetId: String?
        /// `YYYY-MM-DD` bounds (inclusive), UTC.
        public var from: String?
        public var to: String?
        public var cursor: String?
        public init(actorId: String?, activity: String?, targetId: String?, from: String?, to: String?, cursor: String?) {
            self.actorId = actorId
            self.activity = activity
            self.targetId = targetId
            self.from = from
            self.to = to
            self.cursor = cursor
        }
        public var pairs: [(String, String?)] {
            [("actorId", actorId), ("activity", activity), ("targetId", targetId), ("from", from), ("to", to)]
        }
    }

    public static func render(viewer: ConsoleViewer, page: Page<AuditEntryView>, filters: Filters, chain: String) -> HTML {
        let form: HTML = """
            <form class="filters" method="get" action="/audit" role="search">\
            \(Layout.field("Actor ID", name: "actorId", value: filters.actorId))\(Layout.field("Activity", name: "activity", value: filters.activity))\
            \(Layout.field("Target ID", name: "targetId", value: filters.targetId))\
            \(Layout.field("From", name: "from", type: "date", value: filters.from))\(Layout.field("To", name: "to", type: "date", value: filters.to))\
            <button type="submit">Filter</button> <a class="button secondary" href="/api/v1/audit-entries/export">Export (JSON lines)</a></form>
            """
        let rows = page.items.map { entry -> [HTML] in
            let changes = entry.modifiedProperties.html { change in
                "<tr><th scope=\"row\">\(change.name)</th><td>\(change.oldValue)</td><td>\(change.newValue)</td></tr>"
            }
            let detail: HTML = """
                <details><summary>\(entry.operation.rawValue) \(entry.targetType) \(entry.targetName ?? entry.targetId ?? "")</summary>\
                <table class="data"><thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead>\
                <tbody>\(changes)</tbody></table><p class="muted">Request \(entry.requestId ?? "—") · entry \(entry.id.rawValue)</p></details>
                """
            return ["\(entry.sequence)", Layout.time(entry.at), "\(entry.actorName ?? entry.actorType.rawValue)", "\(entry.activity)", detail,
                    Layout.state(entry.result.rawValue)]
        }
        let next = page.nextCursor.map { "/audit" + QueryString.make(filters.pairs + [("cursor", $0)]) }
        return Layout.page(
            title: "Audit log", section: .audit, viewer: viewer,
            """
            <h1>Audit log</h1><p id="chain">\(chain)</p>\(form)\
            \(Layout.table(id: "audit", ["#", "When", "Actor", "Activity", "What changed", "Result"], rows, empty: "No entry matches."))\
            \(Layout.pager(next: next, first: filters.cursor != nil ? "/audit" + QueryString.make(filters.pairs) : nil))
            """)
    }
}
