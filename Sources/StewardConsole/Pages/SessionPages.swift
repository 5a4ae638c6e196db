import StewardModel

/// Signing in, and the page any refusal or failure shows.
public enum SessionPages {
    /// The sign-in form. `askTenant` when the deployment has several tenants; `askCode` after the
    /// account said it needs its authenticator's code.
    public static func signIn(askTenant: Bool, askCode: Bool, tenant: String?, userName: String?, error: String?) -> HTML {
        let tenantField: HTML = askTenant
            ? "<label for=\"tenant\">Organisation (tenant ID)<input id=\"tenant\" name=\"tenant\" required value=\"\(tenant ?? "")\" autocomplete=\"organization\"></label>"
            : .empty
        let codeField: HTML = askCode
            ? "<label for=\"totp\">Code from your authenticator app<input id=\"totp\" name=\"totp\" required inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" maxlength=\"6\" autofocus></label>"
            : .empty
        return Layout.document(
            title: "Sign in",
            """
            <div class="signin"><h1>Sign in to Steward</h1>\(error.map { Layout.flash(Flash(.error, $0)) } ?? .empty)\
            <form method="post" action="/sign-in">\(tenantField)\
            <label for="userName">User name<input id="userName" name="userName" required autocomplete="username" value="\(userName ?? "")"\(askCode ? .empty : HTML(" autofocus"))></label>\
            <label for="password">Password<input id="password" name="password" type="password" required autocomplete="current-password"></label>\
            \(codeField)<button type="submit" id="sign-in">Sign in</button></form></div>
            """)
    }

    /// A refusal or failure as a page: what happened and where to go.
    public static func error(viewer: ConsoleViewer?, title: String, message: String, requestID: String?) -> HTML {
        let body: HTML = """
            <h1>\(title)</h1><p>\(message)</p>\
            \(requestID.map { HTML("<p class=\"muted\">Request \($0)</p>") } ?? .empty)<p><a href="/">Back to the console</a></p>
            """
        guard let viewer else { return Layout.document(title: title, "<main>\(body)</main>") }
        return Layout.page(title: title, section: nil, viewer: viewer, body)
    }
}
