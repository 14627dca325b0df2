/// Minimal deterministic JSON writing for the fixed-shape objects this package serialises itself
/// (JWS protected headers, RFC 7638 thumbprint input, access token claims, token responses): no
/// whitespace, members in the order given, strings escaped per RFC 8259 §7. A fraction of
/// `JSONEncoder`'s cost on the token endpoint's hot path (docs/performance.md).
package enum JSONText {
    /// Serialises `members` as a JSON object of string values, skipping `nil` values.
    package static func object(_ members: [(name: String, value: String?)]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        output.reserveCapacity(64)
        var first = true
        for member in members {
            guard let value = member.value else { continue }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            appendString(member.name, to: &output)
            output.append(UInt8(ascii: ":"))
            appendString(value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// Appends `string` as a JSON string literal: `"` and `\` escaped, control characters as
    /// short escapes or `\u00XX`, everything else as raw UTF-8.
    package static func appendString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings (tokens, identifiers, URLs) need no escape: copy their bytes at once.
        let plain = string.utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        if plain == true {
            output.append(contentsOf: string.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// Writes one JSON object member by member (RFC 8259 §4): `nil` values are left out, names and
/// strings are escaped by ``JSONText/appendString(_:to:)``, integers in decimal.
package struct JSONObjectWriter {
    private var output: [UInt8]
    private var first = true

    /// - Parameter capacity: bytes to reserve (the object's expected size).
    package init(capacity: Int = 256) {
        output = [UInt8(ascii: "{")]
        output.reserveCapacity(capacity)
    }

    private mutating func name(_ name: String) {
        if !first { output.append(UInt8(ascii: ",")) }
        first = false
        JSONText.appendString(name, to: &output)
        output.append(UInt8(ascii: ":"))
    }

    package mutating func add(_ name: String, _ value: String?) {
        guard let value else { return }
        self.name(name)
        JSONText.appendString(value, to: &output)
    }

    package mutating func add(_ name: String, _ value: Int64?) {
        guard let value else { return }
        self.name(name)
        output.append(contentsOf: String(value).utf8)
    }

    package mutating func add(_ name: String, _ value: Int?) {
        add(name, value.map(Int64.init))
    }

    package mutating func add(_ name: String, _ value: Bool?) {
        guard let value else { return }
        self.name(name)
        output.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// An array of strings.
    package mutating func add(_ name: String, _ values: [String]?) {
        guard let values else { return }
        self.name(name)
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONText.appendString(value, to: &output)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// A member whose value is already serialised JSON (`raw` must be one complete JSON value).
    package mutating func add(_ name: String, raw: [UInt8]?) {
        guard let raw else { return }
        self.name(name)
        output.append(contentsOf: raw)
    }

    /// The serialised object.
    package consuming func finish() -> [UInt8] {
        output.append(UInt8(ascii: "}"))
        return output
    }
}
