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

/// Parses HTML with gumbo and lists its elements in document order.
public enum HTMLElements {
    /// Every element of `html` parsed as a document, in document order.
    public static func parse(_ html: String) -> [HTMLElement] {
        var elements: [HTMLElement] = []
        html.withCString { source in
            var options = kGumboDefaultOptions
            guard let output = gumbo_parse_with_options(&options, source, strlen(source)) else { return }
            defer { gumbo_destroy_output(&options, output) }
            walk(output.pointee.root, into: &elements)
        }
        return elements
    }

    private static func string(_ piece: GumboStringPiece) -> String {
        guard let data = piece.data, piece.length > 0 else { return "" }
        return data.withMemoryRebound(to: UInt8.self, capacity: piece.length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: piece.length), as: UTF8.self)
        }
    }

    private static func walk(_ node: UnsafeMutablePointer<GumboNode>?, into elements: inout [HTMLElement]) {
        guard let node, node.pointee.type == GUMBO_NODE_ELEMENT || node.pointee.type == GUMBO_NODE_TEMPLATE else { return }
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
        let namespace = element.tag_namespace == GUMBO_NAMESPACE_SVG ? "svg" : element.tag_namespace == GUMBO_NAMESPACE_MATHML ? "math" : "html"
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
            if child.pointee.type == GUMBO_NODE_TEXT || child.pointee.type == GUMBO_NODE_CDATA || child.pointee.type == GUMBO_NODE_WHITESPACE {
                text += String(cString: child.pointee.v.text.text)
            }
            children.append(child)
        }
        elements.append(
            HTMLElement(
                name: name, namespace: namespace, line: max(Int(element.start_pos.line), 1), attributes: attributes,
                text: text, written: element.original_tag.length > 0))
        for child in children { walk(child, into: &elements) }
    }
}
