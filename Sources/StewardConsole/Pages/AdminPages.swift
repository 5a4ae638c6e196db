import Foundation
import StewardModel

/// Admins and their roles, and the tenant's settings.
public enum AdminPages {
    public static func list(
        viewer: ConsoleViewer, admins: [AdminView], roles: [RoleView], assignments: [RoleAssignmentView], groups: [GroupView], flash: Flash?
    ) -> HTML {
        let roleNames = Dictionary(roles.map { ($0.id, $0.name) }) { first, _ in first }
        let groupNames = Dictionary(groups.map { ($0.id, $0.name) }) { first, _ in first }
        let manage = viewer.may(.adminsManage)
        let rows = admins.map { admin -> [HTML] in
            let held = assignments.filter { $0.adminId == admin.id }.map { assignment in
                (roleNames[assignment.roleId] ?? assignment.roleId.rawValue)
                    + (assignment.scopeGroupIds.map { " (" + $0.map { groupNames[$0] ?? $0.rawValue }.joined(separator: ", ") + ")" } ?? "")
            }.joined(separator: "; ")
            var actions = HTML.empty
            if manage {
                actions += viewer.form(
                    "/admins/\(admin.id.rawValue)",
                    "<input type=\"hidden\" name=\"disabled\" value=\"\(admin.disabled ? "false" : "true")\"><button type=\"submit\" class=\"secondary\">\(admin.disabled ? "Enable" : "Disable")</button>")
                actions += viewer.form(
                    "/admins/\(admin.id.rawValue)/password",
                    "<input name=\"password\" type=\"password\" autocomplete=\"new-password\" placeholder=\"New password\" required minlength=\"12\" aria-label=\"New password\"><button type=\"submit\" class=\"secondary\">Reset</button>")
            }
            if viewer.may(.rolesManage) {
                actions += viewer.form(
                    "/admins/\(admin.id.rawValue)/roles",
                    Layout.select("Role", name: "roleId", roles.map { ($0.id.rawValue, $0.name) })
                        + Layout.select("Scope", name: "scopeGroupId", [("", "All devices")] + groups.filter { $0.kind == .device }.map { ($0.id.rawValue, $0.name) })
                        + "<button type=\"submit\" class=\"secondary\">Assign</button>")
            }
            let state = admin.disabled ? "disabled" : admin.lockedUntil != nil ? "locked" : "active"
            return ["\(admin.displayName)", "\(admin.userName)", "\(held.isEmpty ? "—" : held)", Layout.state(state),
                    "\(admin.totpEnabled ? "on" : "off")", Layout.time(admin.lastSignInAt), "<div class=\"actions\">\(actions)</div>"]
        }
        let create: HTML = manage
            ? "<h2>Add an admin</h2>" + viewer.form(
                "/admins", class: "filters",
                Layout.field("User name", name: "userName", required: true) + Layout.field("First name", name: "firstName", required: true)
                    + Layout.field("Last name", name: "lastName", required: true) + Layout.field("E-mail", name: "email", type: "email", required: true)
                    + Layout.field("Password", name: "password", type: "password", required: true, extra: " autocomplete=\"new-password\" minlength=\"12\"")
                    + "<button type=\"submit\">Add admin</button>")
            : .empty
        return Layout.page(
            title: "Admins", section: .admins, viewer: viewer, flash: flash,
            """
            <h1>Admins and roles</h1>\
            \(Layout.table(id: "admins", ["Name", "User name", "Roles", "State", "Second factor", "Last sign-in", ""], rows))\(create)
            """)
    }

    public static func settings(viewer: ConsoleViewer, settings: TenantSettings, flash: Flash?) -> HTML {
        let form: HTML = viewer.may(.tenantSettings)
            ? viewer.form(
                "/settings",
                """
                <div class="card"><dl class="fields">\
                <dt><label for="in-compliant">Collect app inventory from personal devices</label></dt><dd>\
                <select id="in-compliant" name="compliantAppFeature"><option value="false"\(settings.compliantAppFeature ? .empty : HTML(" selected"))>No</option>\
                <option value="true"\(settings.compliantAppFeature ? HTML(" selected") : .empty)>Yes (compliant-app feature)</option></select></dd><dd></dd>\
                <dt><label for="in-staleDeviceDays">Remove devices silent for (days)</label></dt><dd><input id="in-staleDeviceDays" name="staleDeviceDays" type="number" value="\(settings.staleDeviceDays)" required></dd><dd></dd>\
                <dt><label for="in-auditRetentionDays">Keep audit entries (days)</label></dt><dd><input id="in-auditRetentionDays" name="auditRetentionDays" type="number" value="\(settings.auditRetentionDays)" required></dd><dd></dd>\
                </dl><p><button type="submit" id="save-settings">Save settings</button></p></div>
                """)
            : """
                <div class="card"><dl class="fields"><dt>Compliant-app feature</dt><dd>\(settings.compliantAppFeature ? "on" : "off")</dd><dd></dd>\
                <dt>Stale device days</dt><dd>\(settings.staleDeviceDays)</dd><dd></dd><dt>Audit retention days</dt><dd>\(settings.auditRetentionDays)</dd><dd></dd></dl></div>
                """
        return Layout.page(title: "Settings", section: .settings, viewer: viewer, flash: flash, "<h1>Tenant settings</h1>\(form)")
    }
}
