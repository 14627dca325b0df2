internal import CQRencode
internal import Foundation

/// QR Code symbols (ISO/IEC 18004) rendered as SVG, for enrolling authenticator apps with an
/// `otpauth://` URI (see `TOTP.provisioningURI(issuer:account:)`).
///
/// Encoding uses libqrencode with error-correction level M (~15 % recovery), the smallest version
/// that fits, and 8-bit mode for non-alphanumeric text, so UTF-8 passes through unchanged; text
/// is case-sensitive. Rendering is pure string building: deterministic (the same text and sizes
/// always give the same bytes), no fonts, scripts or external references, so it can be inlined in a
/// page or served as a `data:` URL under a CSP of `img-src 'self' data:`.
public enum QRCode {
    /// Renders `text` as a QR code in SVG.
    ///
    /// The document is one line: an `<svg>` whose `viewBox` is in modules
    /// (`0 0 n n` with `n = width + 2 × margin`, where `width = 17 + 4 × version` modules) and whose
    /// `width`/`height` are `n × moduleSize` CSS pixels, with `shape-rendering="crispEdges"`; a
    /// white `<rect>` background covering the quiet zone; and one black `<path>` made of one
    /// `M x y h w v1 h -w z` rectangle per horizontal run of dark modules.
    ///
    /// - Parameters:
    ///   - text: the data to encode, up to 2331 UTF-8 bytes and without NUL characters.
    ///   - moduleSize: CSS pixels per module, ≥ 1; default 4 (a typical TOTP URI of 120–180 bytes is
    ///     version 7–9, so 53–61 modules with the quiet zone: about 210–245 px).
    ///   - margin: quiet zone on each side in modules, ≥ 0; default 4, the minimum ISO/IEC 18004
    ///     §7.3.7 requires for reliable scanning.
    /// - Returns: the SVG document (ASCII, no XML declaration).
    /// - Throws: ``QRCodeError/textTooLong(byteCount:)``, ``QRCodeError/invalidText(_:)`` or
    ///   ``QRCodeError/encodingFailed(_:)``.
    public static func svg(for text: String, moduleSize: Int = 4, margin: Int = 4) throws -> String {
        precondition(moduleSize >= 1, "QRCode.svg: moduleSize must be ≥ 1, got \(moduleSize)")
        precondition(margin >= 0, "QRCode.svg: margin must be ≥ 0, got \(margin)")
        return render(try Symbol(encoding: text), moduleSize: moduleSize, margin: margin)
    }

    /// Renders `text` as an SVG QR code (``svg(for:moduleSize:margin:)``) in a `data:` URL for an
    /// `<img src>`: `data:image/svg+xml;base64,` followed by the standard-alphabet, padded base64
    /// (RFC 2397, RFC 4648 §4) of the SVG bytes.
    ///
    /// - Throws: as ``svg(for:moduleSize:margin:)``.
    public static func dataURL(for text: String, moduleSize: Int = 4, margin: Int = 4) throws -> String {
        let svg = try svg(for: text, moduleSize: moduleSize, margin: margin)
        return "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }

    /// Builds the SVG document for `symbol`; see ``svg(for:moduleSize:margin:)`` for its shape.
    static func render(_ symbol: Symbol, moduleSize: Int, margin: Int) -> String {
        let size = symbol.width + 2 * margin
        let pixels = size * moduleSize
        var path = ""
        path.reserveCapacity(symbol.width * symbol.width * 2)
        for y in 0..<symbol.width {
            var x = 0
            while x < symbol.width {
                guard symbol.isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < symbol.width, symbol.isDark(x: x, y: y) { x += 1 }
                let run = x - start
                path += "M\(start + margin) \(y + margin)h\(run)v1h-\(run)z"
            }
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(pixels)\" height=\"\(pixels)\""
            + " viewBox=\"0 0 \(size) \(size)\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/>"
            + "<path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}

extension QRCode {
    /// An encoded QR Code symbol: its version and its square module matrix.
    struct Symbol: Sendable {
        /// Symbol version, 1...40.
        let version: Int
        /// Modules per side: `17 + 4 × version` (21...177).
        let width: Int
        /// `width × width` modules, row-major from the top-left; `true` is dark.
        let modules: [Bool]

        /// Encodes `text` with `QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)` and copies
        /// the matrix out (bit 0 of each libqrencode byte is "dark"), then frees it (`QRcode_free`).
        init(encoding text: String) throws {
            guard !text.utf8.contains(0) else {
                throw QRCodeError.invalidText("text contains a NUL character")
            }
            errno = 0
            guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
                let error = errno
                if error == ERANGE { throw QRCodeError.textTooLong(byteCount: text.utf8.count) }
                throw QRCodeError.encodingFailed(String(cString: strerror(error)))
            }
            defer { QRcode_free(code) }
            let width = Int(code.pointee.width)
            let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
            version = Int(code.pointee.version)
            self.width = width
            modules = data.map { $0 & 1 == 1 }
        }

        /// Whether the module in column `x`, row `y` (0-based from the top-left) is dark.
        func isDark(x: Int, y: Int) -> Bool {
            modules[y * width + x]
        }
    }
}
