public import Foundation

/// The encodings ``MIMEMessageBuilder`` needs, each kept to 7-bit output and short lines.
public enum MIMEEncoding {
    /// Replaces every CR LF, lone CR and lone LF with CR LF (RFC 5322 §2.1 line ending).
    public static func normalizeLineEndings(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                out += "\r\n"
                previousWasCR = true
                continue
            }
            if scalar == "\n" {
                if !previousWasCR { out += "\r\n" }
            } else {
                out.unicodeScalars.append(scalar)
            }
            previousWasCR = false
        }
        return out
    }

    /// Quoted-printable encoding of UTF-8 text (RFC 2045 §6.7).
    ///
    /// Line endings are normalised to CRLF and kept as hard breaks; every output line is at
    /// most 76 characters (soft breaks `=` CRLF); `=`, non-ASCII and control bytes become `=XX`;
    /// a space or tab before a line end is encoded; a line starting with `.` or `From ` has that
    /// first character encoded so neither SMTP nor mbox tooling can alter it.
    public static func quotedPrintable(_ text: String) -> String {
        let lines = normalizeLineEndings(text).components(separatedBy: "\r\n")
        return lines.map { encodeQuotedPrintableLine(Array($0.utf8)) }.joined(separator: "\r\n")
    }

    private static func encodeQuotedPrintableLine(_ bytes: [UInt8]) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(bytes.count)
        let startsRisky = bytes.first == UInt8(ascii: ".") || bytes.starts(with: Array("From ".utf8))
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal: Bool
            switch byte {
            case 33...60, 62...126: literal = !(index == 0 && startsRisky)
            case 9, 32: literal = !isLast
            default: literal = false
            }
            tokens.append(literal ? String(UnicodeScalar(byte)) : hexEscape(byte))
        }
        // Soft-wrap: at most 75 characters of content plus "=" per line.
        var out = "", lineLength = 0
        for token in tokens {
            if lineLength + token.count > 75 {
                out += "=\r\n"
                lineLength = 0
            }
            out += token
            lineLength += token.count
        }
        return out
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }

    /// Whether `text` can appear in a header as is: printable ASCII and spaces only.
    static func isPlainHeaderText(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// RFC 2047 `B` encoded-words for `text` (UTF-8), each at most 64 characters and holding only
    /// whole characters (§5), so a decoder never sees half a UTF-8 sequence.
    /// - Returns: the words, to be joined with folding white space (CRLF SP).
    public static func encodedWords(_ text: String) -> [String] {
        var words: [String] = [], chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > 39 {  // 39 bytes → 52 base64 chars + 12 = 64
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// An unstructured header value (such as `Subject`), folded to lines of at most 78 characters
    /// where possible: printable ASCII is folded at spaces; anything else becomes encoded-words.
    /// - Parameter nameLength: the length of `"Name: "` before the value on the first line.
    static func unstructuredHeaderValue(_ text: String, nameLength: Int) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        let foldable =
            isPlainHeaderText(text) && !text.hasPrefix(" ") && !text.hasSuffix(" ")
            && words.allSatisfy { !$0.isEmpty && $0.count <= 76 - 1 }
            && !text.contains("=?")  // would be mistaken for an encoded-word by decoders
        guard foldable else { return encodedWords(text).joined(separator: "\r\n ") }
        return fold(words.map(String.init), startingAt: nameLength)
    }

    /// `pieces` joined by spaces, with a line break (CRLF before the space, RFC 5322 §2.2.3 folding)
    /// wherever a line would pass 78 characters.
    /// - Parameter startingAt: the characters already on the first line (e.g. `"Name: "`).
    static func fold(_ pieces: [String], startingAt: Int) -> String {
        var out = "", lineLength = startingAt
        for (index, piece) in pieces.enumerated() {
            if index > 0 {
                if lineLength + 1 + piece.count > 78 {
                    out += "\r\n"
                    lineLength = 0
                }
                out += " "
                lineLength += 1
            }
            out += piece
            lineLength += piece.count
        }
        return out
    }

    /// A display name as an RFC 5322 `phrase`: a quoted-string when printable ASCII, else encoded-words.
    static func phrase(_ name: String) -> String {
        guard isPlainHeaderText(name), !name.contains("=?") else { return encodedWords(name).joined(separator: " ") }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// RFC 5322 §3.3 `date-time` in UTC, e.g. `"Tue, 01 Dec 2026 09:05:03 +0000"`.
    public static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(value ?? 0).leftPadded(to: 2) }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }
}
