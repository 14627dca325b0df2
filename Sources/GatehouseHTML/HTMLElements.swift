import CGumbo
import Foundation

/// One element of a parsed HTML document, as the HTML5 tree builder saw it (Google's gumbo,
/// which implements the WHATWG parsing algorithm: the same tokenizer states browsers use).
public struct HTMLElement: Sendable, Equatable {
    /// One attribute: lowercased name, value with character references decoded, 1-based line.
    public struct Attribute: Sendable, Equatable {
        public let name: String
        public let value: String
        public let line: Int
    }

    /// The tag name, lowercased (`script`, `a`, or the written name of an unknown element).
    public let name: String
    /// `html`, `svg` or `math`.
    public let namespace: String
    /// 1-based line of the start tag.
    public let line: Int
    public let attributes: [Attribute]
    /// The text content directly inside (for `style`), character references decoded.
    public let text: String
    /// Whether the tag was written in the source (false for elements the parser inserted, such as
    /// an implied `<head>` or `<tbody>`).
    public let written: Bool

    /// The value of attribute `name` (lowercase), if present.
    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
}

/// Why a document was not parsed: it has more elements, or deeper nesting, than a template needs.
public struct HTMLTooComplex: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

/// Parses HTML with gumbo and lists its elements in document order.
public enum HTMLElements {
    /// Most start tags (`<` followed by a letter) a document may have. Gumbo's tree builder takes
    /// time quadratic in the nesting depth and frees the tree recursively, so a deeply nested
    /// document is refused before it is parsed: 20,000 nested elements crash a thread with a
    /// 512 KiB stack, 85,000 take over a minute. Real templates have a few hundred elements.
    public static let maximumStartTags = 2000
    /// Deepest element nesting listed.
    public static let maximumDepth = 256

    /// Every element of `html` parsed as a document, in document order.
    /// - Throws: ``HTMLTooComplex`` when the source has more than ``maximumStartTags`` start
    ///   tags or its elements nest deeper than ``maximumDepth``.
    public static func parse(_ html: String) throws(HTMLTooComplex) -> [HTMLElement] {
        var starts = 0
        var previous: UInt8 = 0
        for byte in html.utf8 {
            if previous == UInt8(ascii: "<"), (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") { starts += 1 }
            previous = byte
        }
        guard starts <= maximumStartTags else {
            throw HTMLTooComplex(description: "the template has more than \(maximumStartTags) HTML elements")
        }
        var elements: [HTMLElement] = []
        var tooDeep = false
        html.withCString { source in
            var options = kGumboDefaultOptions
            guard let output = gumbo_parse_with_options(&options, source, strlen(source)) else { return }
            defer { gumbo_destroy_output(&options, output) }
            tooDeep = !walk(output.pointee.root, into: &elements)
        }
        guard !tooDeep else { throw HTMLTooComplex(description: "HTML elements are nested more than \(maximumDepth) levels deep") }
        return elements
    }

    private static func string(_ piece: GumboStringPiece) -> String {
        guard let data = piece.data, piece.length > 0 else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: piece.length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: piece.length), as: UTF8.self)
        }
    }

    /// Lists the elements under `root` in document order (depth first, without recursion).
    /// - Returns: false when an element is nested deeper than ``maximumDepth``.
    private static func walk(_ root: UnsafeMutablePointer<GumboNode>?, into elements: inout [HTMLElement]) -> Bool {
        var stack: [(node: UnsafeMutablePointer<GumboNode>, depth: Int)] = root.map { [($0, 0)] } ?? []
        while let (node, depth) = stack.popLast() {
            guard node.pointee.type == GUMBO_NODE_ELEMENT || node.pointee.type == GUMBO_NODE_TEMPLATE else { continue }
            guard depth <= maximumDepth else { return false }
            let element = node.pointee.v.element
            var name: String
            if element.tag == GUMBO_TAG_UNKNOWN {
                // The written name: "<ghmv-x foo>" → "ghmv-x".
                let original = string(element.original_tag).dropFirst()
                name = String(original.prefix { !" \t\n\r\u{0C}/>".contains($0) }).lowercased()
            } else {
                name = String(cString: gumbo_normalized_tagname(element.tag))
            }
            if name.isEmpty { name = "unknown" }
            let namespace =
                element.tag_namespace == GUMBO_NAMESPACE_SVG ? "svg" : element.tag_namespace == GUMBO_NAMESPACE_MATHML ? "math" : "html"
            var attributes: [HTMLElement.Attribute] = []
            for i in 0..<Int(element.attributes.length) {
                guard let raw = element.attributes.data[i]?.assumingMemoryBound(to: GumboAttribute.self) else { continue }
                let attribute = raw.pointee
                attributes.append(
                    .init(
                        name: String(cString: attribute.name).lowercased(), value: String(cString: attribute.value),
                        line: Int(attribute.name_start.line)))
            }
            var text = ""
            var children: [UnsafeMutablePointer<GumboNode>] = []
            for i in 0..<Int(element.children.length) {
                guard let child = element.children.data[i]?.assumingMemoryBound(to: GumboNode.self) else { continue }
                if child.pointee.type == GUMBO_NODE_TEXT || child.pointee.type == GUMBO_NODE_CDATA
                    || child.pointee.type == GUMBO_NODE_WHITESPACE
                {
                    text += String(cString: child.pointee.v.text.text)
                }
                children.append(child)
            }
            elements.append(
                HTMLElement(
                    name: name, namespace: namespace, line: max(Int(element.start_pos.line), 1), attributes: attributes,
                    text: text, written: element.original_tag.length > 0))
            // Reversed, so that the first child is taken next: document order.
            stack += children.reversed().map { ($0, depth + 1) }
        }
        return true
    }
}
