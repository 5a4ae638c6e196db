import Foundation
import StewardModel

/// The privacy centre: the statement, the catalog, the tenant's retention, data-subject
/// requests, corporate identifiers and re-identification — each form shown to the roles that may use it.
public enum PrivacyPage {
    public static func render(viewer: ConsoleViewer, catalog: PrivacyCatalogView, statement: String, flash: Flash?) -> HTML {
        let rows = catalog.fields.map { field -> [HTML] in
            ["\(field.table).\(field.column)", Layout.badge(field.category), "\(field.source.rawValue)", "\(field.purpose)",
             "\(field.retention.rawValue)", "\(field.personalDevice.rawValue)", "\(field.exported ? "yes" : "no")"]
        }
        var forms = HTML.empty
        if viewer.may(.tenantSettings) {
            forms += "<div class=\"card\"><h2>Retention</h2>" + viewer.form(
                "/settings", class: "filters",
                Layout.field("Remove devices silent for (days)", name: "staleDeviceDays", type: "number", value: String(catalog.staleDeviceDays), required: true)
                    + Layout.field("Keep audit entries (days)", name: "auditRetentionDays", type: "number", value: String(catalog.auditRetentionDays), required: true)
                    + "<input type=\"hidden\" name=\"back\" value=\"privacy\"><button type=\"submit\">Save retention</button>") + "</div>"
        }
        if viewer.may(.privacyExport) {
            forms += "<div class=\"card\"><h2>Export a user's data</h2>" + viewer.form(
                "/privacy/export", class: "filters",
                Layout.field("User ID", name: "userId", required: true) + "<button type=\"submit\" id=\"export\">Download export</button>") + "</div>"
        }
        if viewer.may(.privacyErase) {
            forms += "<div class=\"card\"><h2>Erase a user's data</h2><p class=\"muted\">Deletes the user's devices and everything collected from them, blanks their personal data in the audit log and unlinks their pseudonyms. It cannot be undone.</p>" + viewer.form(
                "/privacy/erasure", class: "filters",
                Layout.field("User ID", name: "userId", required: true)
                    + Layout.field("Type “erase” to confirm", name: "confirm", required: true, extra: " autocomplete=\"off\" data-confirm-text=\"erase\"")
                    + "<button type=\"submit\" class=\"danger\" id=\"erase\">Erase</button>") + "</div>"
        }
        if viewer.may(.enrollmentManage) {
            forms += "<div class=\"card\"><h2>Corporate identifiers</h2><p class=\"muted\">One <code>serialNumber,VALUE</code> or <code>imei,VALUE</code> per line: a device enrolling with one of them is corporate.</p>" + viewer.form(
                "/privacy/corporate-identifiers",
                "<label for=\"in-csv\">CSV<textarea id=\"in-csv\" name=\"csv\" rows=\"4\" cols=\"50\" required></textarea></label> <button type=\"submit\">Upload</button>") + "</div>"
        }
        if viewer.may(.privacyReidentify) {
            forms += "<div class=\"card\"><h2>Re-identify a pseudonym</h2><p class=\"muted\">Names the user or device behind a diagnostics pseudonym; the reason goes in the audit log.</p>" + viewer.form(
                "/privacy/reidentify", class: "filters",
                Layout.field("Pseudonym", name: "pseudonym", required: true) + Layout.field("Reason", name: "reason", required: true)
                    + "<button type=\"submit\">Re-identify</button>") + "</div>"
        }
        return Layout.page(
            title: "Privacy", section: .privacy, viewer: viewer, flash: flash,
            """
            <h1>Privacy centre</h1><div class="cards">\(forms)</div>\
            <h2>Privacy statement</h2><details class="card" id="statement"><summary>Read the statement generated from the catalog</summary><pre>\(statement)</pre></details>\
            <h2>Data catalog</h2>\(Layout.table(id: "catalog", ["Column", "Category", "Source", "Purpose", "Retention", "On personal devices", "Exported"], rows))
            """)
    }

    public static func erased(viewer: ConsoleViewer, _ result: ErasureView) -> HTML {
        Layout.page(
            title: "Erased", section: .privacy, viewer: viewer,
            """
            <h1>Erased</h1><p class="flash ok" role="status" id="erased">The user's data is erased: \(result.devicesDeleted) devices deleted, \
            \(result.auditEntriesBlanked) audit entries blanked, \(result.appCatalogRowsPurged) app catalog rows purged, \
            \(result.pseudonymsUnlinked) pseudonyms unlinked.</p><p><a href="/privacy">Back to the privacy centre</a></p>
            """)
    }

    public static func reidentified(viewer: ConsoleViewer, _ subject: PseudonymSubject) -> HTML {
        let link: HTML = subject.subjectType.rawValue == "device"
            ? "<a href=\"/devices/\(subject.subjectId)\">\(subject.subjectId)</a>" : "<a href=\"/users/\(subject.subjectId)\">\(subject.subjectId)</a>"
        return Layout.page(
            title: "Re-identified", section: .privacy, viewer: viewer,
            "<h1>Re-identified</h1><p>Pseudonym \(subject.pseudonym) is \(subject.subjectType.rawValue) \(link). This look-up is in the audit log.</p>")
    }
}
