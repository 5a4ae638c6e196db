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

    /// What the settings page shows besides the settings: the account, the connected third
    /// parties and the directory's SCIM tokens (each nil when the viewer may not read it).
    public struct SettingsContext: Sendable {
        public var account: TenantAccountView?
        public var connectors: [ConnectorView]
        public var scimTokens: [SCIMTokenView]
        /// The MDM push certificate, nil when there is none.
        public var pushCertificate: ApplePushCertificateView?
        /// Where Apple devices fetch their enrollment profile (`…/mdm/enroll`).
        public var appleEnrollURL: String

        public init(
            account: TenantAccountView?, connectors: [ConnectorView], scimTokens: [SCIMTokenView], pushCertificate: ApplePushCertificateView? = nil,
            appleEnrollURL: String = "/mdm/enroll"
        ) {
            self.account = account
            self.connectors = connectors
            self.scimTokens = scimTokens
            self.pushCertificate = pushCertificate
            self.appleEnrollURL = appleEnrollURL
        }
    }

    public static func settings(viewer: ConsoleViewer, settings: TenantSettings, context: SettingsContext, flash: Flash?) -> HTML {
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
                <dt><label for="in-deprovisioning">A user the directory deprovisions is</label></dt><dd>\
                <select id="in-deprovisioning" name="directoryDeprovisioning"><option value="disable"\(settings.directoryDeprovisioning == .disable ? HTML(" selected") : .empty)>deactivated</option>\
                <option value="erase"\(settings.directoryDeprovisioning == .erase ? HTML(" selected") : .empty)>erased</option></select></dd><dd></dd>\
                <dt><label for="in-eraseAfter">Erased after (days)</label></dt><dd><input id="in-eraseAfter" name="directoryEraseAfterDays" type="number" min="0" max="365" value="\(settings.directoryEraseAfterDays)" required></dd><dd></dd>\
                </dl><p><button type="submit" id="save-settings">Save settings</button></p></div>
                """)
            : """
                <div class="card"><dl class="fields"><dt>Compliant-app feature</dt><dd>\(settings.compliantAppFeature ? "on" : "off")</dd><dd></dd>\
                <dt>Stale device days</dt><dd>\(settings.staleDeviceDays)</dd><dd></dd><dt>Audit retention days</dt><dd>\(settings.auditRetentionDays)</dd><dd></dd></dl></div>
                """
        var more: HTML = .empty
        if let account = context.account {
            more = more + """
                <h2>Account</h2><div class="card"><dl class="fields">\
                <dt>Owner</dt><dd>\(account.ownerEmail ?? "—")</dd><dd></dd>\
                <dt>Plan</dt><dd>\(account.plan.rawValue)</dd><dd></dd>\
                <dt>Devices</dt><dd>\(account.devices) of \(account.licensedDevices.map(String.init) ?? "unlimited")</dd><dd></dd>\
                <dt>Users</dt><dd>\(account.users) of \(account.licensedUsers.map(String.init) ?? "unlimited")</dd><dd></dd>\
                <dt>Billing reference</dt><dd>\(account.billingReference ?? "—")</dd><dd></dd>\
                <dt>Closure</dt><dd>\(account.closesAt.map { "closing: every row is deleted on \(Layout.time($0))" } ?? "—")</dd><dd></dd>\
                </dl></div>
                """
        }
        let connectorRows = context.connectors.map { connector -> [HTML] in
            [
                "\(connector.name)", "\(connector.kind == .directory ? "Directory (SCIM)" : "Apple push")", "\(connector.thirdPartyTenantId ?? "—")",
                "\(connector.accountId ?? "—")", Layout.time(connector.createdAt),
            ]
        }
        more = more + "<h2>Connected third parties</h2>"
            + Layout.table(id: "connectors", ["Name", "Kind", "Their tenant ID", "Account", "Since"], connectorRows,
                empty: "None: no data leaves Steward.")
        let tokenRows = context.scimTokens.map { token -> [HTML] in
            [
                "\(token.name)", Layout.time(token.createdAt), Layout.time(token.expiresAt),
                Layout.state(token.revokedAt == nil ? "active" : "revoked"),
            ]
        }
        more = more + "<h2>Apple devices</h2>"
        if let push = context.pushCertificate {
            more = more + """
                <div class="card" id="apple-push"><dl class="fields">\
                <dt>Push topic</dt><dd>\(push.topic)</dd><dd></dd>\
                <dt>Expires</dt><dd>\(Layout.time(push.notAfter)) (\(push.daysLeft < 0 ? "expired: renew it at Apple with the same Apple ID" : "in \(push.daysLeft) days"))</dd><dd></dd>\
                <dt>Apple ID</dt><dd>\(push.appleId ?? "—")</dd><dd></dd>\
                <dt>Enrollment</dt><dd>a device opens \(context.appleEnrollURL)?token=<em>an enrollment token</em></dd><dd></dd>\
                </dl></div>
                """
        } else {
            more = more + "<p class=\"muted\" id=\"apple-push\">No push certificate: iPhones, iPads and Macs cannot enroll until one is uploaded.</p>"
        }
        if viewer.may(.tenantSettings) {
            more = more + viewer.form(
                "/settings/apple-push",
                """
                <div class="card"><dl class="fields">\
                <dt><label for="in-push-cert">\(context.pushCertificate == nil ? "Push certificate" : "Renewed certificate") (PEM)</label></dt><dd><textarea id="in-push-cert" name="certificate" rows="4" required></textarea></dd><dd></dd>\
                <dt><label for="in-push-key">Its private key (PEM)</label></dt><dd><textarea id="in-push-key" name="privateKey" rows="4" required></textarea></dd><dd></dd>\
                <dt><label for="in-push-apple-id">Apple ID that made it</label></dt><dd><input id="in-push-apple-id" name="appleId" type="email" value="\(context.pushCertificate?.appleId ?? "")" required></dd><dd></dd>\
                </dl><p><button type="submit" id="upload-push">Upload push certificate</button></p></div>
                """)
        }
        more = more + "<h2>Directory sync tokens (SCIM)</h2>"
            + Layout.table(id: "scim-tokens", ["Name", "Made", "Expires", "State"], tokenRows, empty: "None: the API's POST /api/v1/scim-tokens makes one.")
        return Layout.page(title: "Settings", section: .settings, viewer: viewer, flash: flash, "<h1>Tenant settings</h1>\(form)\(more)")
    }
}
