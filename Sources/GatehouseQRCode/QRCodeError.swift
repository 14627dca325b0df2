/// An error thrown by ``QRCode``.
///
/// Reasons never contain the encoded text: it is usually an `otpauth://` URI carrying a secret.
public enum QRCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text does not fit in the largest symbol, version 40 at error-correction level M
    /// (2331 bytes in 8-bit mode; ISO/IEC 18004 Table 7). Carries the text's UTF-8 byte count.
    case textTooLong(byteCount: Int)
    /// The text cannot be encoded as a C string: it contains a NUL character.
    case invalidText(String)
    /// libqrencode failed for another reason (memory exhaustion); carries the `errno` text.
    case encodingFailed(String)

    /// A one-line description for logs, e.g. `QR code text too long: 4000 bytes`.
    public var description: String {
        switch self {
        case .textTooLong(let byteCount): "QR code text too long: \(byteCount) bytes"
        case .invalidText(let reason): "invalid QR code text: \(reason)"
        case .encodingFailed(let reason): "QR code encoding failed: \(reason)"
        }
    }
}
