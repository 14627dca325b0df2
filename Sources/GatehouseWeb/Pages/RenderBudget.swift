import Mustache

/// Bounds the output of one page render that uses tenant-written templates.
///
/// A Mustache section over a list renders its body once per element, and a section nested in a
/// section of the same name finds the outer list again, so `{{#scopes}}` nested k deep renders the
/// body nᵏ times: a 30-line override could keep a core busy for minutes and produce gigabytes. The
/// budget counts list elements across the whole render: every list in the context becomes a
/// ``BoundedSequence`` drawing on one budget, which yields no more elements once it is spent (the
/// page then shows the lists cut short rather than never answering).
///
/// The number of elements allowed is ``outputBytes`` divided by the largest section body of the
/// templates in play (``largestSectionBody(in:)``): each element renders one body of at most that
/// many bytes of template text, so the sections of a render write at most about ``outputBytes``
/// bytes of template text in total, however they nest. Values add what they hold (names, URLs).
final class RenderBudget: @unchecked Sendable {
    /// Bytes of section bodies one render may write: 4 MiB, far above any real page.
    static let outputBytes = 4 * 1024 * 1024
    /// Elements allowed whatever the body size, so that small pages never notice the budget.
    static let minimumElements = 64

    /// Elements left. Rendering is synchronous on one thread, so no lock is needed.
    private(set) var remaining: Int

    /// A budget for templates whose largest section body is `largestBody` bytes.
    init(largestBody: Int) {
        remaining = max(Self.minimumElements, Self.outputBytes / max(largestBody, 1))
    }

    /// Takes one element; false once the budget is spent.
    func take() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }

    /// `value` with every array, at any depth of dictionaries and arrays, replaced by a
    /// ``BoundedSequence`` on this budget.
    func bounded(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]: return dictionary.mapValues(bounded)
        case let array as [Any]: return BoundedSequence(elements: array.map(bounded), budget: self)
        default: return value
        }
    }

    /// The size in bytes of the largest section body (the text between `{{#x}}` or `{{^x}}` and
    /// its `{{/x}}`) of `source`, 0 without sections. Unbalanced tags are ignored (such a template
    /// does not compile, or is checked by `TemplateValidator` before it is stored).
    static func largestSectionBody(in source: String) -> Int {
        let bytes = Array(source.utf8)
        var open: [Int] = []
        var largest = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            var end = i + 2
            while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "}") && bytes[end + 1] == UInt8(ascii: "}")) { end += 1 }
            guard end + 1 < bytes.count else { break }
            var sigil = i + 2
            while sigil < end, bytes[sigil] == UInt8(ascii: " ") { sigil += 1 }
            if sigil < end {
                switch bytes[sigil] {
                case UInt8(ascii: "#"), UInt8(ascii: "^"): open.append(end + 2)
                case UInt8(ascii: "/"): if let start = open.popLast() { largest = max(largest, i - start) }
                default: break
                }
            }
            i = end + 2
        }
        return largest
    }
}

/// A list of a page's context whose elements are drawn from a ``RenderBudget``.
struct BoundedSequence: MustacheSequence, MustacheTransformable {
    let elements: [Any]
    let budget: RenderBudget

    struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Any]>
        let budget: RenderBudget

        mutating func next() -> Any? {
            guard budget.take() else { return nil }
            return base.next()
        }
    }

    func makeIterator() -> Iterator { Iterator(base: elements.makeIterator(), budget: budget) }

    /// The list transforms of swift-mustache (`empty`, `first`, `count`…), on the elements.
    func transform(_ name: String) -> Any? { elements.transform(name) }
}
