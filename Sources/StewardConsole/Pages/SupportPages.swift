import Foundation
import StewardModel

/// Support cases with the deployment's operator: the list with a form to open one, and a
/// case's thread with a form to write in it and to close or reopen it.
public enum SupportPages {
    public static func cases(viewer: ConsoleViewer, page: Page<SupportCaseView>, cursor: String?, flash: Flash?) -> HTML {
        let rows = page.items.map { item -> [HTML] in
            [
                "<a href=\"/support/\(item.id.rawValue)\">\(item.subject)</a>", "\(item.contactName)", Layout.state(item.status.rawValue),
                Layout.time(item.updatedAt),
            ]
        }
        let open: HTML = viewer.may(.supportManage)
            ? "<h2>Open a case with the operator</h2>" + viewer.form(
                "/support", class: "filters",
                Layout.field("Subject", name: "subject", required: true) + Layout.field("Contact name", name: "contactName", required: true)
                    + Layout.field("Contact e-mail", name: "contactEmail", type: "email", required: true)
                    + Layout.field("Contact phone", name: "contactPhone") + Layout.field("User it concerns (ID)", name: "userId")
                    + "<label for=\"in-message\">Message</label><textarea id=\"in-message\" name=\"message\" required maxlength=\"20000\"></textarea>"
                    + "<button type=\"submit\" id=\"open-case\">Open case</button>")
            : .empty
        return Layout.page(
            title: "Support", section: .support, viewer: viewer, flash: flash,
            """
            <h1>Support cases</h1>\(Layout.table(id: "support-cases", ["Subject", "Contact", "Status", "Updated"], rows, empty: "No cases."))\
            \(Layout.pager(next: page.nextCursor.map { "/support" + QueryString.make([("cursor", $0)]) }, first: cursor != nil ? "/support" : nil))\(open)
            """)
    }

    public static func thread(viewer: ConsoleViewer, item: SupportCaseView, flash: Flash?) -> HTML {
        let messages = (item.messages ?? []).map { message -> HTML in
            let attachment: HTML = message.attachment.map { "<p class=\"muted\">Attachment: \($0.name) (\($0.sizeBytes) bytes; the API serves it)</p>" } ?? .empty
            return """
                <div class="card"><p><strong>\(message.authorName)</strong> (\(message.author == .operator ? "operator" : "tenant")) \
                \(Layout.time(message.createdAt))</p><p>\(message.message)</p>\(attachment)</div>
                """
        }.reduce(HTML.empty, +)
        let write: HTML = viewer.may(.supportManage)
            ? viewer.form(
                "/support/\(item.id.rawValue)/messages",
                "<label for=\"in-reply\">Write</label><textarea id=\"in-reply\" name=\"message\" required maxlength=\"20000\"></textarea>"
                    + "<button type=\"submit\" id=\"write-message\">Send</button>")
                + viewer.form(
                    "/support/\(item.id.rawValue)/status",
                    "<input type=\"hidden\" name=\"status\" value=\"\(item.status == .closed ? "open" : "closed")\">"
                        + "<button type=\"submit\" class=\"secondary\" id=\"case-status\">\(item.status == .closed ? "Reopen" : "Close") case</button>")
            : .empty
        return Layout.page(
            title: item.subject, section: .support, viewer: viewer, flash: flash,
            """
            <h1>\(item.subject)</h1><div class="card"><dl class="fields">\
            <dt>Status</dt><dd>\(item.status.rawValue)</dd><dd></dd>\
            <dt>Contact</dt><dd>\(item.contactName), \(item.contactEmail)\(item.contactPhone.map { ", \($0)" } ?? "")</dd><dd></dd>\
            <dt>Concerns</dt><dd>\(item.userId.map { HTML("<a href=\"/users/\($0.rawValue)\">\($0.rawValue)</a>") } ?? "—")</dd><dd></dd>\
            </dl></div>\(messages)\(write)
            """)
    }
}
