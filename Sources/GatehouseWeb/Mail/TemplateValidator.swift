import Foundation
import Mustache

/// Why a template override was refused: where and what.
public struct TemplateProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the offending tag.
    public let line: Int
    /// What is wrong, in words an operator can act on.
    public let reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

/// Checks a tenant's template override before it is stored (docs/contract.md A5).
///
/// Refused, each with the line of the tag and the reason:
/// - output without HTML escaping: `{{{x}}}` and `{{& x}}`;
/// - delimiter changes `{{=<% %>=}}`, which could hide such output from this check, and pragmas
///   `{{% … }}`, whose `CONTENT_TYPE` can switch escaping off;
/// - template inheritance `{{< …}}` / `{{$ …}}` (not offered to overrides);
/// - partials other than those in `allowedPartials` (a missing partial renders as nothing, and a
///   partial that includes itself would recurse);
/// - sections that are never closed, closed in the wrong order or closed without being opened,
///   tags without `}}`, and anything else swift-mustache cannot parse.
public enum TemplateValidator {
    /// Deepest nesting of sections an override may use. The parser recurses once per level, so an
    /// unbounded depth could exhaust the stack; real templates nest a handful of levels.
    public static let maximumSectionDepth = 32
    /// Largest override, in bytes.
    public static let maximumBytes = 256 * 1024

    /// Every problem of `source`, ordered by line; empty when the template may be stored.
    /// - Parameters:
    ///   - source: the Mustache text.
    ///   - allowedPartials: names that `{{> name}}` may refer to.
    public static func problems(in source: String, allowedPartials: Set<String> = []) -> [TemplateProblem] {
        guard source.utf8.count <= maximumBytes else {
            return [TemplateProblem(line: 1, reason: "the template is larger than \(maximumBytes / 1024) KiB")]
        }
        var problems = scan(Array(source.utf8), allowedPartials: allowedPartials)
        if problems.isEmpty {
            do {
                _ = try MustacheTemplate(string: source)
            } catch let error as MustacheTemplate.ParserError {
                problems.append(TemplateProblem(line: error.context.lineNumber, reason: describe(error.error)))
            } catch {
                problems.append(TemplateProblem(line: 1, reason: "cannot be parsed: \(error)"))
            }
        }
        // Stable: problems of one line keep the order they were found in.
        return problems.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// Throws the first problem of `source`, if any.
    public static func validate(_ source: String, allowedPartials: Set<String> = []) throws(TemplateProblem) {
        if let first = problems(in: source, allowedPartials: allowedPartials).first { throw first }
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: return "a closing tag does not match the section it closes"
        case .unfinishedName?: return "a tag is not closed with '}}' or its name is malformed"
        case .expectedSectionEnd?: return "a section is never closed"
        case .invalidSetDelimiter?: return "delimiter changes are not allowed"
        case .invalidConfigVariableSyntax?, .unrecognisedConfigVariable?: return "pragmas ({{% … }}) are not allowed"
        case .transformAppliedToInheritanceSection?, .illegalTokenInsideInheritSection?, .textInsideInheritSection?:
            return "template inheritance is not allowed"
        case nil: return "cannot be parsed: \(error)"
        }
    }

    private static let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")

    /// A lexical pass over the default delimiters: finds every tag, its kind and its line.
    private static func scan(_ bytes: [UInt8], allowedPartials: Set<String>) -> [TemplateProblem] {
        var problems: [TemplateProblem] = []
        var sections: [(name: String, line: Int)] = []
        var line = 1, i = 0
        let n = bytes.count

        /// Index of the next "}}" at or after `from`, or nil.
        func findClose(from: Int) -> Int? {
            var j = from
            while j + 1 < n {
                if bytes[j] == close, bytes[j + 1] == close { return j }
                j += 1
            }
            return nil
        }

        while i < n {
            if bytes[i] == newline { line += 1; i += 1; continue }
            guard bytes[i] == open, i + 1 < n, bytes[i + 1] == open else { i += 1; continue }
            let tagLine = line
            let start = i + 2
            guard let end = findClose(from: start) else {
                problems.append(TemplateProblem(line: tagLine, reason: "a tag opened with '{{' is never closed with '}}'"))
                break
            }
            let content = String(decoding: bytes[start..<end], as: UTF8.self)
            line += bytes[start..<end].reduce(0) { $0 + ($1 == newline ? 1 : 0) }
            i = end + 2
            let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
            let sigil = trimmed.first
            let name = String(trimmed.dropFirst()).trimmingCharacters(in: .whitespacesAndNewlines)
            switch sigil {
            case "{":
                // `{{{x}}}`: the closing third brace follows the `}}` found above.
                if i < n, bytes[i] == close { i += 1 }
                let variable = name.hasSuffix("}") ? String(name.dropLast()) : name
                problems.append(
                    TemplateProblem(
                        line: tagLine,
                        reason: "{{{\(variable)}}} outputs '\(variable)' without HTML escaping; use {{\(variable)}}"))
            case "&":
                problems.append(
                    TemplateProblem(
                        line: tagLine, reason: "{{&\(name)}} outputs '\(name)' without HTML escaping; use {{\(name)}}"))
            case "=":
                problems.append(
                    TemplateProblem(
                        line: tagLine, reason: "delimiter changes ({{=…=}}) are not allowed: they could hide unescaped output"))
            case "%":
                problems.append(
                    TemplateProblem(
                        line: tagLine, reason: "pragmas ({{% … }}) are not allowed: CONTENT_TYPE could turn escaping off"))
            case "<", "$":
                problems.append(TemplateProblem(line: tagLine, reason: "template inheritance ({{<…}}, {{$…}}) is not allowed in overrides"))
            case "!":
                break
            case "#", "^":
                if name.isEmpty {
                    problems.append(TemplateProblem(line: tagLine, reason: "a section tag has no name"))
                } else if sections.count >= maximumSectionDepth {
                    // Stop scanning: the parser must never see this template.
                    problems.append(
                        TemplateProblem(
                            line: tagLine, reason: "sections are nested more than \(maximumSectionDepth) levels deep"))
                    return problems
                } else {
                    sections.append((name, tagLine))
                }
            case "/":
                if let last = sections.last {
                    if last.name == name {
                        sections.removeLast()
                    } else if let index = sections.lastIndex(where: { $0.name == name }) {
                        let inner = sections[(index + 1)...]
                        for open in inner {
                            problems.append(
                                TemplateProblem(
                                    line: open.line,
                                    reason: "section {{#\(open.name)}} opened on line \(open.line) is not closed before {{/\(name)}} on line \(tagLine)"))
                        }
                        sections.removeSubrange(index...)
                    } else {
                        problems.append(
                            TemplateProblem(
                                line: tagLine,
                                reason: "{{/\(name)}} does not match {{#\(last.name)}} opened on line \(last.line)"))
                        sections.removeLast()  // reported once, not again as never closed
                    }
                } else {
                    problems.append(TemplateProblem(line: tagLine, reason: "{{/\(name)}} closes a section that was never opened"))
                }
            case ">":
                if !allowedPartials.contains(name) {
                    let allowed = allowedPartials.sorted().map { "{{> \($0)}}" }.joined(separator: ", ")
                    problems.append(
                        TemplateProblem(
                            line: tagLine,
                            reason: "partial {{> \(name)}} is not available here" + (allowed.isEmpty ? " (no partials are)" : "; use \(allowed)")))
                }
            case nil:
                problems.append(TemplateProblem(line: tagLine, reason: "empty tag {{}}"))
            default:
                break
            }
        }
        for open in sections {
            problems.append(TemplateProblem(line: open.line, reason: "section {{#\(open.name)}} opened on line \(open.line) is never closed"))
        }
        return problems
    }
}
