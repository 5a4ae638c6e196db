import Foundation
import StewardModel

/// Enrollment tokens, and the signed-in admin's own account: password, second factor, API tokens.
public enum AccountPages {
    public static func enrollment(viewer: ConsoleViewer, tokens: Page<EnrollmentTokenView>, created: EnrollmentTokenView?, server: String, flash: Flash?) -> HTML {
        let manage = viewer.may(.enrollmentManage)
        let rows = tokens.items.map { token -> [HTML] in
            let state = token.revokedAt != nil ? "revoked" : (token.maxUses.map { token.useCount >= $0 } ?? false) ? "used up" : "active"
            let revoke = manage && token.revokedAt == nil
                ? viewer.form("/enrollment/\(token.id)/revoke", "<button type=\"submit\" class=\"secondary\">Revoke</button>") : .empty
            return ["\(token.description)", "\(token.ownership.rawValue)", "\(token.useCount)\(token.maxUses.map { " of \($0)" } ?? "")",
                    Layout.time(token.expiresAt), Layout.state(state), revoke]
        }
        let shown: HTML = created.map { token in
            """
            <div class="flash ok" role="status" id="new-token"><p>The token is shown once: copy it now.</p><pre>\(token.token ?? "")</pre>\
            <p>Enroll a Linux machine with it:</p><pre>sudo steward-agent enroll --server \(server) --token \(token.token ?? "")</pre>\
            <p>An iPhone, iPad or Mac opens its enrollment profile (\(token.ownership == .personal ? "a User Enrollment: no serial number, IMEI, phone number or MAC address is collected" : "a device enrollment")):</p>\
            <pre>\(server)/mdm/enroll?token=\(token.token ?? "")</pre></div>
            """
        } ?? .empty
        let create: HTML = manage
            ? "<h2>New enrollment token</h2>" + viewer.form(
                "/enrollment", class: "filters",
                Layout.select("Devices enrolled with it are", name: "ownership", Ownership.allCases.map { ($0.rawValue, $0.rawValue) })
                    + Layout.field("Description", name: "description") + Layout.field("Uses (empty: any)", name: "maxUses", type: "number")
                    + Layout.field("Valid for days (empty: no end)", name: "days", type: "number")
                    + "<button type=\"submit\" id=\"create-token\">Create token</button>")
            : .empty
        return Layout.page(
            title: "Enrollment", section: .enrollment, viewer: viewer, flash: flash,
            """
            <h1>Enrollment</h1>\(shown)\(Layout.table(id: "enrollment-tokens", ["Description", "Ownership", "Uses", "Expires", "State", ""], rows, empty: "No enrollment tokens yet."))\(create)
            """)
    }

    public static func account(viewer: ConsoleViewer, me: MeView, tokens: [APITokenView], totp: TOTPSetupView?, newToken: APITokenView?, flash: Flash?) -> HTML {
        let admin = me.admin
        let secondFactor: HTML
        if let totp {
            secondFactor = """
                <p>Add this account to your authenticator app with the key <code id="totp-secret">\(totp.secret)</code> \
                (or the address <code>\(totp.otpauthURL)</code>), then enter its current code.</p>
                """ + viewer.form("/account/totp/confirm", class: "filters", Layout.field("Code", name: "code", required: true, extra: " inputmode=\"numeric\" autocomplete=\"one-time-code\"") + "<button type=\"submit\">Turn on</button>")
        } else if admin.totpEnabled {
            secondFactor = "<p>On.</p>" + viewer.form("/account/totp/disable", class: "filters", Layout.field("Current code", name: "code", required: true) + "<button type=\"submit\" class=\"secondary\">Turn off</button>")
        } else {
            secondFactor = "<p>Off.</p>" + viewer.form("/account/totp", "<button type=\"submit\" id=\"totp-start\">Set up a second factor</button>")
        }
        let rows = tokens.map { token -> [HTML] in
            let revoke = token.revokedAt == nil && token.id != me.credentialId
                ? viewer.form("/account/tokens/\(token.id.rawValue)/revoke", "<button type=\"submit\" class=\"secondary\">Revoke</button>") : .empty
            let state = token.revokedAt != nil ? "revoked" : token.id == me.credentialId ? "this session" : "active"
            return ["\(token.name)", "\(token.kind.rawValue)", Layout.time(token.createdAt), Layout.time(token.expiresAt), Layout.state(state), revoke]
        }
        let created: HTML = newToken.map { "<div class=\"flash ok\" role=\"status\"><p>The API token is shown once: copy it now.</p><pre>\($0.token ?? "")</pre></div>" } ?? .empty
        return Layout.page(
            title: "Your account", section: nil, viewer: viewer, flash: flash,
            """
            <h1>\(admin.displayName)</h1><p class="muted">\(admin.userName ?? "") · \(admin.email ?? "")</p>\
            <div class="cards"><div class="card"><h2>Password</h2>\(viewer.form("/account/password", class: "filters",
                Layout.field("Current password", name: "currentPassword", type: "password", extra: " autocomplete=\"current-password\"")
                + Layout.field("New password", name: "password", type: "password", required: true, extra: " autocomplete=\"new-password\" minlength=\"12\"")
                + "<button type=\"submit\">Change</button>"))</div>\
            <div class="card"><h2>Second factor</h2>\(secondFactor)</div></div>\
            <h2>Sessions and API tokens</h2>\(created)\(Layout.table(id: "tokens", ["Name", "Kind", "Created", "Expires", "State", ""], rows))\
            \(viewer.form("/account/tokens", class: "filters", Layout.field("New API token named", name: "name", required: true) + "<button type=\"submit\">Create</button>"))
            """)
    }
}
