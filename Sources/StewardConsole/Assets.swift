/// The console's two static files, served under names that carry a hash of their content, so
/// they can be cached for a year and a new release is fetched at once.
public struct Asset: Sendable {
    public let name: String
    public let contentType: String
    public let body: String
    /// `/assets/console-<hash>.css`
    public let path: String

    init(name: String, suffix: String, contentType: String, body: String) {
        self.name = name
        self.contentType = contentType
        self.body = body
        path = "/assets/\(name)-\(Asset.fingerprint(body)).\(suffix)"
    }

    /// FNV-1a over the bytes: a cache key, not a security measure.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static let stylesheet = Asset(name: "console", suffix: "css", contentType: "text/css; charset=utf-8", body: css)
    public static let script = Asset(name: "console", suffix: "js", contentType: "text/javascript; charset=utf-8", body: js)
    public static let all = [stylesheet, script]

    static let css = """
        :root{--ink:#1d2733;--muted:#5b6776;--line:#d9dee5;--bg:#f6f7f9;--card:#fff;--accent:#1f5fbf;--danger:#b3261e;
        --identified:#8a3ffc;--pseudonymized:#0f7b6c;--aggregated:#8a6d00;--technical:#5b6776}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
        a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
        header.top{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#14202e;color:#fff}
        header.top .brand{font-weight:700;font-size:16px;color:#fff}
        header.top nav a{color:#c9d6e6;margin-right:14px}header.top nav a.here{color:#fff;font-weight:600}
        header.top .who{margin-left:auto;color:#c9d6e6;display:flex;gap:12px;align-items:center}header.top .who a{color:#fff}
        header.top form{margin:0}header.top button{background:none;border:1px solid #50627a;color:#fff;border-radius:4px;padding:3px 10px;cursor:pointer}
        main{padding:20px 24px;max-width:1280px}
        h1{font-size:22px;margin:0 0 14px}h2{font-size:16px;margin:22px 0 10px}
        .muted{color:var(--muted)}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:16px}
        .chart-card,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0}
        figcaption{font-weight:600;margin-bottom:6px}.card h2{margin-top:0}
        .stats{display:flex;gap:16px;flex-wrap:wrap;margin-bottom:16px}
        .stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px}
        .stat b{display:block;font-size:22px}
        svg.chart{max-width:100%;height:auto;display:block}
        svg .label,svg .legend{font-size:11px;fill:var(--ink)}svg .value{font-size:11px;fill:var(--muted)}
        svg .axis{stroke:var(--line)}svg .line{fill:none;stroke:var(--accent);stroke-width:2}svg .dot{fill:var(--accent)}
        .series-0{fill:#1f5fbf}.series-1{fill:#2e9e5b}.series-2{fill:#d08c00}.series-3{fill:#b3261e}.series-4{fill:#8a3ffc}.series-5{fill:#7a8594}
        table.data{border-collapse:collapse;width:100%;background:var(--card)}
        table.data th,table.data td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
        table.data thead th{background:#eef1f5;font-weight:600;white-space:nowrap}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        details.numbers summary{cursor:pointer;color:var(--muted);margin-top:6px}
        .badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:600;color:#fff;white-space:nowrap}
        .badge.identified{background:var(--identified)}.badge.pseudonymized{background:var(--pseudonymized)}
        .badge.aggregated{background:var(--aggregated)}.badge.technical{background:var(--technical)}
        .badge.state{background:#eef1f5;color:var(--ink)}.badge.failed,.badge.error{background:var(--danger);color:#fff}
        .badge.succeeded,.badge.installed{background:#2e9e5b;color:#fff}
        .source{color:var(--muted);font-size:11px}
        form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:12px}
        label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:var(--muted)}
        input,select,textarea{font:inherit;padding:5px 8px;border:1px solid #b8c1cc;border-radius:4px;background:#fff;color:var(--ink)}
        button,.button{font:inherit;padding:5px 12px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
        button.secondary,.button.secondary{background:#fff;color:var(--accent)}
        button.danger{background:var(--danger);border-color:var(--danger)}
        button:disabled{opacity:.45;cursor:not-allowed}
        form.inline{display:inline;margin:0}button.link{background:none;border:none;padding:0;color:var(--accent);font:inherit;cursor:pointer}
        button.link:hover{text-decoration:underline}thead button.link{font-weight:600}
        .actions{display:flex;gap:8px;flex-wrap:wrap;align-items:end}.actions form{margin:0;display:flex;gap:6px;align-items:end}
        .flash{padding:8px 12px;border-radius:6px;margin-bottom:14px;border:1px solid}
        .flash.ok{background:#eaf6ee;border-color:#9fd3b1}.flash.error{background:#fdecea;border-color:#f1aca6}
        .signin{max-width:360px;margin:80px auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:24px}
        .signin form{display:flex;flex-direction:column;gap:12px}
        .pager{display:flex;gap:12px;margin-top:10px;align-items:center}
        dl.fields{display:grid;grid-template-columns:200px 1fr auto;gap:4px 12px;margin:0}
        dl.fields dt{color:var(--muted)}dl.fields dd{margin:0;word-break:break-word}
        .two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
        pre{white-space:pre-wrap;word-break:break-word;background:#f0f2f5;padding:8px;border-radius:4px;margin:0}
        """

    static let js = """
        // Progressive enhancement only: every page works without it.
        // A typed confirmation keeps its button disabled until the typed text matches.
        document.querySelectorAll('[data-confirm-text]').forEach(function (input) {
          var button = input.form && input.form.querySelector('button[type=submit]');
          if (!button) return;
          var check = function () { button.disabled = input.value !== input.getAttribute('data-confirm-text'); };
          input.addEventListener('input', check); check();
        });
        // Filter selects apply as soon as they change.
        document.querySelectorAll('form.filters select').forEach(function (select) {
          select.addEventListener('change', function () { select.form.submit(); });
        });
        """
}
