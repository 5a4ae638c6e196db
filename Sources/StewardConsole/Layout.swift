import Foundation
import StewardModel

/// Who is looking at a page: what the shell shows and every form carries.
public struct ConsoleViewer: Sendable {
    public var adminName: String
    /// The session's CSRF token, a hidden field in every form.
    public var csrfToken: String
    public var permissions: Set<Permission>

    public init(adminName: String, csrfToken: String, permissions: Set<Permission>) {
        self.adminName = adminName
        self.csrfToken = csrfToken
        self.permissions = permissions
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// A form that posts to `action` with the CSRF token.
    public func form(_ action: String, class className: String? = nil, _ body: HTML) -> HTML {
        """
        <form method="post" action="\(action)"\(className.map { HTML(" class=\"\($0)\"") } ?? .empty)>\
        <input type="hidden" name="csrf" value="\(csrfToken)">\(body)</form>
        """
    }
}

/// A message shown once at the top of the next page (after a form's redirect).
public struct Flash: Sendable, Equatable {
    public enum Kind: String, Sendable { case ok, error }
    public var kind: Kind
    public var text: String
    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
}

/// The console's sections, each shown to admins who hold its permission.
public enum Section: String, Sendable, CaseIterable {
    case dashboard, devices, enrollment, users, groups, apps, audit, privacy, admins, settings, support

    var title: String {
        switch self {
        case .dashboard: "Dashboard"
        case .devices: "Devices"
        case .enrollment: "Enrollment"
        case .users: "Users"
        case .groups: "Groups"
        case .apps: "Apps"
        case .audit: "Audit log"
        case .privacy: "Privacy"
        case .admins: "Admins"
        case .settings: "Settings"
        case .support: "Support"
        }
    }

    public var path: String { self == .dashboard ? "/" : "/\(rawValue)" }

    public var permission: Permission {
        switch self {
        case .dashboard: .reportsRead
        case .devices: .devicesRead
        case .enrollment: .enrollmentRead
        case .users: .usersRead
        case .groups: .groupsRead
        case .apps: .appsRead
        case .audit: .auditRead
        case .privacy: .tenantRead
        case .admins: .adminsRead
        case .settings: .tenantRead
        case .support: .tenantRead
        }
    }
}

public enum Layout {
    /// A whole signed-in page: the top bar with the sections the viewer may open, a flash, the body.
    public static func page(title: String, section: Section?, viewer: ConsoleViewer, flash: Flash? = nil, _ body: HTML) -> HTML {
        let nav = Section.allCases.filter { viewer.may($0.permission) }.html { item in
            "<a href=\"\(item.path)\"\(item == section ? HTML(" class=\"here\" aria-current=\"page\"") : .empty)>\(item.title)</a>"
        }
        let signOut = viewer.form("/sign-out", HTML("<button type=\"submit\">Sign out</button>"))
        return document(
            title: title,
            """
            <header class="top"><a class="brand" href="/">Steward</a><nav aria-label="Sections">\(nav)</nav>\
            <div class="who"><a href="/account">\(viewer.adminName)</a>\(signOut)</div></header>\
            <main>\(flash.map(Self.flash) ?? .empty)\(body)</main>
            """)
    }

    public static func flash(_ flash: Flash) -> HTML {
        "<p class=\"flash \(flash.kind.rawValue)\" role=\"\(flash.kind == .error ? "alert" : "status")\">\(flash.text)</p>"
    }

    /// The HTML document around any body (signed in or not).
    public static func document(title: String, _ body: HTML) -> HTML {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8">\
        <meta name="viewport" content="width=device-width, initial-scale=1">\
        <title>\(title) · Steward</title><link rel="icon" href="data:,"><link rel="stylesheet" href="\(Asset.stylesheet.path)">\
        <script src="\(Asset.script.path)" defer></script></head><body>\(body)</body></html>
        """
    }

    /// A page of a list: a link to the next page when there is one.
    public static func pager(next: String?, first: String?) -> HTML {
        guard next != nil || first != nil else { return .empty }
        return """
            <nav class="pager" aria-label="Pages">\(first.map { HTML("<a href=\"\($0)\">« First page</a>") } ?? .empty)\
            \(next.map { HTML("<a href=\"\($0)\">Next page »</a>") } ?? .empty)</nav>
            """
    }

    /// A data table: headings, then one row of cells per item; a muted line when there are none.
    public static func table(id: String, _ headings: [String], _ rows: [[HTML]], empty: String = "None yet.") -> HTML {
        guard !rows.isEmpty else { return "<p class=\"muted\" id=\"\(id)\">\(empty)</p>" }
        let head = headings.html { "<th scope=\"col\">\($0)</th>" }
        let body = rows.html { cells in "<tr>\(cells.html { "<td>\($0)</td>" })</tr>" }
        return "<table class=\"data\" id=\"\(id)\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    /// A labelled input.
    public static func field(_ label: String, name: String, type: String = "text", value: String? = nil, required: Bool = false, extra: HTML = .empty) -> HTML {
        """
        <label for="in-\(name)">\(label)<input id="in-\(name)" name="\(name)" type="\(type)" value="\(value ?? "")"\
        \(required ? HTML(" required") : .empty)\(extra)></label>
        """
    }

    /// A labelled select of (value, label) options.
    public static func select(_ label: String, name: String, _ options: [(String, String)], selected: String? = nil) -> HTML {
        let items = options.html { value, text in
            "<option value=\"\(value)\"\(value == selected ? HTML(" selected") : .empty)>\(text)</option>"
        }
        return "<label for=\"in-\(name)\">\(label)<select id=\"in-\(name)\" name=\"\(name)\">\(items)</select></label>"
    }

    public static func badge(_ category: DataCategory) -> HTML {
        "<span class=\"badge \(category.rawValue)\" title=\"Data catalog category\">\(category.rawValue)</span>"
    }

    public static func state(_ text: String) -> HTML {
        "<span class=\"badge state \(text)\">\(text)</span>"
    }

    public static func time(_ date: Date?) -> HTML {
        guard let date else { return "—" }
        // `2026-12-06 08:00`: the date and the minute, in UTC as the attribute says. The text is
        // digits, `-`, `:`, `T` and `Z` (nothing to escape). Written straight into the string's
        // own storage, the time too: a page of devices shows two times per row, and a string per
        // part (and per join, and for the time's own text) was most of this.
        // The opening tag and its time, `">`, then `2026-12-06 08:00` (16 bytes) and the closing tag.
        let length = Self.timeOpening.utf8CodeUnitCount + WireJSONWriter.timeLength + 2 + 16 + Self.timeClosing.utf8CodeUnitCount
        return HTML(unsafeMarkup: String(unsafeUninitializedCapacity: length) { out in
            var at = 0
            func put(_ text: StaticString) {
                text.withUTF8Buffer { for byte in $0 { out[at] = byte; at += 1 } }
            }
            put(Self.timeOpening)
            let iso = at
            at = WireJSONWriter.writeTime(date, to: out, at: at)
            put("\">")
            for index in iso..<iso + 10 { out[at] = out[index]; at += 1 }
            out[at] = UInt8(ascii: " ")
            at += 1
            for index in iso + 11..<iso + 16 { out[at] = out[index]; at += 1 }
            put(Self.timeClosing)
            return at
        })
    }

    private static let timeOpening: StaticString = "<time datetime=\""
    private static let timeClosing: StaticString = "</time>"

    public static func bytes(_ value: Int64?) -> String {
        guard let value else { return "—" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\((amount * 10).rounded() / 10) \(units[unit])"
    }
}
