import Foundation
import GatehouseHTML

/// What tenant-controlled HTML (page overrides, email HTML parts) may contain, checked with an
/// HTML5 parser (gumbo, `GatehouseHTML`) rather than patterns, so that the check sees the tags
/// and attributes a browser would see.
///
/// `<noscript>` is parsed one way by a browser with scripting on (its content is raw text up to
/// the first `</noscript`) and another with scripting off (markup), so the document is checked in
/// both readings (``scriptingView(of:)``): an end tag hidden in an attribute or a comment of
/// the one reading cannot smuggle markup into the other.
///
/// The Mustache source is first turned into plain HTML: every variable tag becomes a marker word
/// naming the variable (`ghmv-name-`), every section tag the marker `ghms`, comments and partials
/// nothing (newlines kept, so lines stay right). Refused, each with its line and reason:
/// - a Mustache tag inside a tag name, or a variable inside an attribute name (`<{{x}}`,
///   `<a {{x}}=…>`): it could produce any tag or attribute once rendered (sections may wrap whole
///   attributes, `{{#x}} checked{{/x}}`; what they wrap is checked as written and as joined);
/// - `<script>`, `<base>`, `<iframe>`, `<frame>`, `<frameset>`, `<object>`, `<embed>`, `<applet>`,
///   `<portal>`, SVG `<foreignObject>`, and `<meta http-equiv>`;
/// - `<noembed>`, `<noframes>`, `<xmp>`, `<plaintext>`, and SVG animation elements (`<animate>`,
///   `<set>`, …), which can set any attribute to a `javascript:` URL;
/// - more than 2,000 elements, or elements nested more than 256 deep;
/// - event-handler attributes (`on…`), `srcdoc` and `formaction`;
/// - `javascript:`, `vbscript:` and `data:` URLs in any URL attribute (after character references
///   are decoded and markers removed), and URL attributes whose scheme would come from a variable;
/// - `<link>` other than `rel="stylesheet"` or `rel="icon"` under `{{static_base}}/` or `/static/`
///   (no `..`, `%2e` or a backslash in the path);
/// - `<form>` whose `action` is not the page's own endpoint (a path on this host: no scheme, not
///   `//`; a backslash counts as a slash, as URL parsers read it);
/// - in `<style>` and `style="…"`: `javascript:`, `expression(`, `@import`, `-moz-binding`,
///   `behavior:` and `url(data:…)`.
enum HTMLOverridePolicy {
    static let variableMarker = "ghmv-"
    static let sectionMarker = "ghms"

    static let forbiddenElements: Set<String> = [
        "script", "base", "iframe", "frame", "frameset", "object", "embed", "applet",
        "portal", "foreignobject",
    ]
    /// Elements whose content a browser parses otherwise than the check's parser (scripting on).
    static let differentlyParsedElements: Set<String> = ["noembed", "noframes", "xmp", "plaintext"]
    /// SVG animation elements: their `to`, `from`, `values` and `by` may set `href` to any URL.
    static let animationElements: Set<String> = ["animate", "set", "animatemotion", "animatetransform", "animatecolor", "discard"]
    /// Attributes whose value is a URL (HTML, SVG and MathML).
    static let urlAttributes: Set<String> = [
        "href", "src", "action", "formaction", "poster", "background", "cite", "data",
        "longdesc", "srcset", "imagesrcset", "xlink:href", "ping", "manifest", "codebase",
        "archive", "lowsrc", "dynsrc", "icon", "usemap", "profile", "classid",
    ]

    /// Every problem of the Mustache HTML `source`; empty when it may be stored.
    static func problems(in source: String) -> [TemplateProblem] {
        var problems: [TemplateProblem] = []
        let html = markup(of: source)
        // Scripting off (gumbo's reading), then scripting on where it differs.
        for reading in [html, scriptingView(of: html)].compactMap({ $0 }) {
            let elements: [HTMLElement]
            do { elements = try HTMLElements.parse(reading) } catch {
                return [TemplateProblem(line: 1, reason: "\(error.description); a template needs far fewer")]
            }
            for element in elements {
                check(element, into: &problems)
            }
        }
        var seen = Set<String>()
        return problems.filter { seen.insert("\($0.line) \($0.reason)").inserted }
    }

    /// `html` as a browser with scripting on reads it: the content of every `<noscript>` up to the
    /// first `</noscript` is raw text (HTML §13.2.6.4.7), here blanked (newlines kept, so lines
    /// stay right). Nil when `html` has no `<noscript`.
    static func scriptingView(of html: String) -> String? {
        var bytes = Array(html.utf8)
        func lowered(_ i: Int) -> UInt8 { bytes[i] >= 0x41 && bytes[i] <= 0x5A ? bytes[i] | 0x20 : bytes[i] }
        func matches(_ word: String, at i: Int) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count else { return false }
            return (0..<w.count).allSatisfy { lowered(i + $0) == w[$0] }
        }
        func isEnd(_ i: Int) -> Bool { i >= bytes.count || [0x20, 0x09, 0x0A, 0x0C, 0x0D, 0x2F, 0x3E].contains(bytes[i]) }
        var found = false
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<"), matches("<noscript", at: i), isEnd(i + 9) else {
                i += 1
                continue
            }
            found = true
            guard let close = bytes[(i + 9)...].firstIndex(of: UInt8(ascii: ">")) else { break }
            var j = close + 1
            while j < bytes.count, !(matches("</noscript", at: j) && isEnd(j + 10)) {
                if bytes[j] != UInt8(ascii: "\n") { bytes[j] = UInt8(ascii: " ") }
                j += 1
            }
            i = j
        }
        return found ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// `source` with Mustache tags replaced by markers (see the type's documentation).
    static func markup(of source: String) -> String {
        var out = ""
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            let triple = afterOpen.hasPrefix("{")
            guard let close = afterOpen.range(of: triple ? "}}}" : "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let content = afterOpen[..<close.lowerBound].dropFirst(triple ? 1 : 0)
            let newlines = String(repeating: "\n", count: content.filter { $0 == "\n" }.count)
            let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
            switch trimmed.first {
            case "#", "^", "/": out += sectionMarker + newlines
            case "!", ">": out += newlines
            default:
                let name = trimmed.drop { "&{".contains($0) }.lowercased().map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" }
                out += variableMarker + String(name) + "-" + newlines
            }
            rest = afterOpen[close.upperBound...]
        }
        out += rest
        return out
    }

    private static func check(_ element: HTMLElement, into problems: inout [TemplateProblem]) {
        func refuse(_ line: Int, _ reason: String) { problems.append(TemplateProblem(line: line, reason: reason)) }
        let tag = "<\(element.name)>"
        if element.written {
            if element.name.contains("ghm") {
                refuse(element.line, "a Mustache tag inside a tag name could produce any element; write the tag name out")
                return
            }
            if forbiddenElements.contains(element.name) {
                refuse(element.line, "\(tag) is not allowed in a template: tenants' pages run no script and embed no other documents")
            }
            if differentlyParsedElements.contains(element.name) {
                refuse(element.line, "\(tag) is not allowed in a template: browsers parse its content otherwise than this check does")
            }
            if animationElements.contains(element.name) {
                refuse(element.line, "SVG \(tag) is not allowed in a template: an animation can set a link to a script URL")
            }
            if element.name == "meta", element.attribute("http-equiv") != nil {
                refuse(element.line, "<meta http-equiv> is not allowed: it could change the page's security headers or redirect it")
            }
            if element.name == "link" {
                let rel = (element.attribute("rel") ?? "").lowercased().split(separator: " ").map(String.init)
                let href = (element.attribute("href") ?? "").trimmingCharacters(in: .whitespaces)
                let lowered = href.lowercased()
                let local =
                    (href.hasPrefix(variableMarker + "static_base-/") || href.hasPrefix("/static/"))
                    && !lowered.contains("..") && !lowered.contains("%2e") && !lowered.contains("\\")
                if rel.isEmpty || !rel.allSatisfy({ ["stylesheet", "icon"].contains($0) }) || !local {
                    refuse(element.line, "<link> may only load a stylesheet or icon from {{static_base}}/ (the instance's own static files)")
                }
            }
            if element.name == "form" {
                let action = stripped(element.attribute("action") ?? "")
                if action.hasPrefix("//") || scheme(of: action) != nil {
                    refuse(element.line, "a <form> may only post to the page's own endpoint (a path on this host, such as {{action}})")
                }
            }
            if element.name == "style", let reason = unsafeCSS(element.text) {
                refuse(element.line, "<style> \(reason)")
            }
        }
        for attribute in element.attributes {
            if attribute.name.contains(variableMarker) {
                refuse(
                    attribute.line,
                    "a Mustache variable inside an attribute name of \(tag) could produce any attribute (an event handler); write the attribute out")
                continue
            }
            // Sections may wrap whole attributes (`{{#x}} checked{{/x}}`): the markers they leave
            // glue to names. Each piece is checked, and so are the pieces joined, as rendered.
            let pieces = attribute.name.components(separatedBy: sectionMarker).filter { !$0.isEmpty }
            let joined = pieces.joined()
            for name in Set(pieces + [joined]) where name.hasPrefix("on") || name == "srcdoc" || name == "formaction" {
                refuse(
                    attribute.line,
                    name.hasPrefix("on")
                        ? "event-handler attribute '\(name)' on \(tag) is not allowed: tenants' pages run no script"
                        : "attribute '\(name)' on \(tag) is not allowed")
            }
            let name = joined
            if name.hasPrefix("on") || name == "srcdoc" || name == "formaction" {
                continue
            } else if name.hasPrefix("on") {
                refuse(attribute.line, "event-handler attribute '\(name)' on \(tag) is not allowed: tenants' pages run no script")
            } else if name == "srcdoc" || name == "formaction" {
                refuse(attribute.line, "attribute '\(name)' on \(tag) is not allowed")
            } else if urlAttributes.contains(name) {
                if let reason = unsafeURL(attribute.value) { refuse(attribute.line, "\(name) of \(tag) \(reason)") }
            } else if name == "style", let reason = unsafeCSS(attribute.value) {
                refuse(attribute.line, "style of \(tag) \(reason)")
            }
        }
    }

    /// `value` without ASCII whitespace and control characters (which URL parsers skip) and with
    /// markers removed, lowercased.
    private static func stripped(_ value: String) -> String {
        // WHATWG URL: a backslash is a slash in http(s) URLs (`\\evil.example` is `//evil.example`).
        var s = value.lowercased().unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }.map(String.init).joined()
            .replacingOccurrences(of: "\\", with: "/")
        while let range = s.range(of: variableMarker) {
            let end = s[range.upperBound...].firstIndex(of: "-").map { s.index(after: $0) } ?? s.endIndex
            s.removeSubrange(range.lowerBound..<end)
        }
        return s.replacingOccurrences(of: sectionMarker, with: "")
    }

    /// The scheme of a URL reference (RFC 3986 §3.1: letters, digits, `+ - .` before the first `:`,
    /// itself before any `/ ? #`), or nil for a relative reference.
    private static func scheme(of url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let head = url[..<colon]
        guard !head.isEmpty, !head.contains(where: { "/?#".contains($0) }) else { return nil }
        return String(head)
    }

    private static func unsafeURL(_ value: String) -> String? {
        // srcset lists URLs separated by commas; each part is checked.
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            let raw = part.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if let colon = raw.firstIndex(of: ":"), raw[..<colon].contains("ghmv-"),
                !raw[..<colon].contains(where: { "/?#".contains($0) })
            {
                return "takes its URL scheme from a variable; write the scheme out"
            }
            if let scheme = scheme(of: stripped(String(part))), ["javascript", "vbscript", "data"].contains(scheme) {
                return "is a \(scheme): URL, which is not allowed"
            }
        }
        return nil
    }

    private static func unsafeCSS(_ css: String) -> String? {
        let s = stripped(css).replacingOccurrences(of: "\\", with: "")
        for needle in ["javascript:", "vbscript:", "expression(", "@import", "-moz-binding", "behavior:", "url(data:", "url('data:", "url(\"data:"]
        where s.contains(needle) {
            return "contains '\(needle)', which is not allowed"
        }
        return nil
    }
}
