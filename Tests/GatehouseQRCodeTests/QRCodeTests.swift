import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
@testable import GatehouseQRCode
import Testing

@Suite("QRCode: libqrencode symbols rendered as SVG")
struct QRCodeTests {
    static let otpauth =
        "otpauth://totp/Example%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"

    /// Texts with the version libqrencode must choose at level M (ISO/IEC 18004 Table 7 capacities).
    static let sized: [(text: String, version: Int)] = [
        ("HELLO WORLD", 1),  // 11 alphanumeric characters: version 1-M holds 20
        (String(repeating: "a", count: 14), 1),  // version 1-M holds 14 bytes
        (String(repeating: "a", count: 15), 2),  // one byte more needs version 2
        (otpauth, 8),  // 145 bytes: version 7-M holds 122, version 8-M 152
        (String(repeating: "x", count: 2331), 40),  // the largest 8-bit payload at level M
    ]

    @Test("the SVG is well-formed with a white background, crisp edges and one path", arguments: [otpauth, "HELLO WORLD", "é ✓ 例"])
    func wellFormed(_ text: String) throws {
        let svg = try QRCode.svg(for: text)
        let document = try SVGDocument(svg)
        #expect(document.elements == ["svg", "rect", "path"])
        #expect(document.root["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(document.root["shape-rendering"] == "crispEdges")
        #expect(document.rect["fill"] == "#fff")
        #expect(document.path["fill"] == "#000")
        #expect(svg.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(!svg.contains(text))
    }

    @Test("the module count matches the version: width = 17 + 4 × version", arguments: sized)
    func moduleCount(_ row: (text: String, version: Int)) throws {
        let symbol = try QRCode.Symbol(encoding: row.text)
        #expect(symbol.version == row.version)
        #expect(symbol.width == 17 + 4 * row.version)
        #expect(symbol.modules.count == symbol.width * symbol.width)

        let margin = 4, moduleSize = 3
        let document = try SVGDocument(try QRCode.svg(for: row.text, moduleSize: moduleSize, margin: margin))
        let size = symbol.width + 2 * margin
        #expect(document.root["viewBox"] == "0 0 \(size) \(size)")
        #expect(document.root["width"] == "\(size * moduleSize)")
        #expect(document.root["height"] == "\(size * moduleSize)")
        #expect(document.rect["width"] == "\(size)" && document.rect["height"] == "\(size)")
        // The path redraws exactly the symbol's dark modules, offset by the quiet zone.
        let matrix = try document.darkModules(size: size)
        for y in 0..<size {
            for x in 0..<size {
                let inside = (margin..<margin + symbol.width).contains(x) && (margin..<margin + symbol.width).contains(y)
                let expected = inside && symbol.isDark(x: x - margin, y: y - margin)
                if matrix[y * size + x] != expected {
                    Issue.record("module (\(x), \(y)) differs")
                    return
                }
            }
        }
    }

    @Test("finder patterns sit in three corners of the rendered matrix", arguments: [otpauth, "HELLO WORLD"])
    func finderPatterns(_ text: String) throws {
        let margin = 2
        let symbol = try QRCode.Symbol(encoding: text)
        let size = symbol.width + 2 * margin
        let matrix = try SVGDocument(try QRCode.svg(for: text, margin: margin)).darkModules(size: size)
        // ISO/IEC 18004 §6.3.3: a 7×7 dark ring, a light ring, a 3×3 dark core.
        func isFinder(atX x0: Int, y y0: Int) -> Bool {
            (0..<7).allSatisfy { dy in
                (0..<7).allSatisfy { dx in
                    let ring = max(abs(dx - 3), abs(dy - 3))
                    return matrix[(y0 + dy) * size + x0 + dx] == (ring != 2)
                }
            }
        }
        let far = margin + symbol.width - 7
        #expect(isFinder(atX: margin, y: margin))
        #expect(isFinder(atX: far, y: margin))
        #expect(isFinder(atX: margin, y: far))
        #expect(!isFinder(atX: far, y: far))
    }

    @Test("rendering is deterministic and scales with moduleSize and margin")
    func deterministic() throws {
        let a = try QRCode.svg(for: Self.otpauth)
        let b = try QRCode.svg(for: Self.otpauth)
        #expect(a == b)
        #expect(try QRCode.dataURL(for: Self.otpauth) == QRCode.dataURL(for: Self.otpauth))
        // Version 8: 49 modules + 2 × 4 quiet zone = 57 modules, × 4 px = 228 px by default.
        #expect(a.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"228\" height=\"228\" viewBox=\"0 0 57 57\""))
        let big = try SVGDocument(try QRCode.svg(for: Self.otpauth, moduleSize: 10, margin: 0))
        #expect(big.root["width"] == "490" && big.root["viewBox"] == "0 0 49 49")
        #expect(try QRCode.svg(for: "other text") != a)
        #expect(a.utf8.count < 16_000)
    }

    @Test("the data URL is base64 of the SVG, for <img src> under img-src 'self' data:")
    func dataURL() throws {
        let url = try QRCode.dataURL(for: Self.otpauth, moduleSize: 5, margin: 3)
        let prefix = "data:image/svg+xml;base64,"
        #expect(url.hasPrefix(prefix))
        let payload = try #require(Data(base64Encoded: String(url.dropFirst(prefix.count))))
        #expect(String(decoding: payload, as: UTF8.self) == (try QRCode.svg(for: Self.otpauth, moduleSize: 5, margin: 3)))
    }

    @Test("text beyond version 40-M and text with NUL are refused")
    func errors() {
        #expect(throws: QRCodeError.textTooLong(byteCount: 2332)) {
            try QRCode.svg(for: String(repeating: "x", count: 2332))
        }
        #expect(throws: QRCodeError.self) {
            try QRCode.svg(for: "a\u{0}b")
        }
        #expect(throws: QRCodeError.self) {
            try QRCode.dataURL(for: String(repeating: "é", count: 2000))
        }
    }

    @Test("encoding is safe from many tasks at once")
    func concurrent() async throws {
        let expected = try QRCode.svg(for: Self.otpauth)
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try QRCode.svg(for: Self.otpauth) } }
            for try await svg in group { #expect(svg == expected) }
        }
    }

    // MARK: A real decoder

    static let zbarimg = ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        "zbarimg (Debian zbar-tools) decodes a raster rendering of the SVG back to the text",
        .enabled(if: zbarimg != nil, "zbarimg is not installed (apt-get install zbar-tools)"),
        arguments: [otpauth, "HELLO WORLD", "https://id.example.com/t/acme/device?user_code=WDJB-MJHT"])
    func zbarDecodes(_ text: String) throws {
        let margin = 4, scale = 4
        let symbol = try QRCode.Symbol(encoding: text)
        let size = symbol.width + 2 * margin
        let matrix = try SVGDocument(try QRCode.svg(for: text, margin: margin)).darkModules(size: size)
        // A binary PGM (P5) of the rendered path, `scale` pixels per module.
        var pgm = Array("P5\n\(size * scale) \(size * scale)\n255\n".utf8)
        for y in 0..<size * scale {
            for x in 0..<size * scale {
                pgm.append(matrix[(y / scale) * size + x / scale] ? 0 : 255)
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-qr-\(UUID().uuidString).pgm")
        try Data(pgm).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.zbarimg!)
        process.arguments = ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let decoded = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: decoded, as: UTF8.self) == text + "\n")
    }
}

/// The parsed SVG: element names in document order and the attributes of the three elements.
struct SVGDocument {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    var elements: [String] = []
    var root: [String: String] = [:]
    var rect: [String: String] = [:]
    var path: [String: String] = [:]

    init(_ svg: String) throws {
        let parser = XMLParser(data: Data(svg.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else {
            throw Malformed(description: "XMLParser: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        for (name, attributes) in delegate.elements {
            elements.append(name)
            switch name {
            case "svg": root = attributes
            case "rect": rect = attributes
            case "path": path = attributes
            default: break
            }
        }
    }

    /// Rasterizes the path's `M x y h w v1 h -w z` runs into a `size × size` matrix (row-major).
    func darkModules(size: Int) throws -> [Bool] {
        var matrix = [Bool](repeating: false, count: size * size)
        let d = path["d"] ?? ""
        guard !d.isEmpty else { return matrix }
        for run in d.split(separator: "M") {
            // "x y" "h" "w" "v1h-" "w" "z"
            let scanner = Scanner(string: String(run))
            guard let x = scanner.scanInt(), let y = scanner.scanInt(), scanner.scanString("h") != nil,
                let width = scanner.scanInt(), scanner.scanString("v1h-") != nil,
                scanner.scanInt() == width, scanner.scanString("z") != nil, scanner.isAtEnd,
                width > 0, x >= 0, y >= 0, x + width <= size, y < size
            else { throw Malformed(description: "unexpected path segment \"M\(run)\"") }
            for column in x..<x + width {
                guard !matrix[y * size + column] else { throw Malformed(description: "overlapping runs at (\(column), \(y))") }
                matrix[y * size + column] = true
            }
        }
        return matrix
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var elements: [(String, [String: String])] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            elements.append((elementName, attributes))
        }
    }
}
