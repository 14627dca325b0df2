import Foundation
import GRDB
internal import GRDBSQLite

/// A date in a SQLite column: the text `yyyy-MM-dd HH:mm:ss.SSS` in UTC (to the nearest
/// millisecond), which is what GRDB writes for a `Date` — so every row written before and after this
/// type existed reads the same, and SQL compares such columns as text in time order.
///
/// GRDB writes that text with a shared Foundation `DateFormatter` and reads it back through
/// `Calendar.date(from:)` with an `en_US_POSIX` locale. On Linux the formatter is ICU's: the first
/// date written loads several MB of ICU's locale, calendar and number-format data into the process
/// (its idle memory), every write takes the one formatter's lock, and each date costs microseconds
/// on the token paths, which write and read several per request. This type writes and reads the
/// same text with integer arithmetic (the proleptic Gregorian calendar, days from 1970-01-01) for
/// the years 1583–9999, and leaves any other year, and any text in another of SQLite's date
/// formats, to GRDB. `StoredDateTests` checks it against GRDB's own conversion in both directions.
struct StoredDate: Hashable, Sendable {
    let date: Date

    init(_ date: Date) { self.date = date }

    /// Milliseconds since 1970-01-01 UTC of the first and the last millisecond written here:
    /// 1583-01-01 00:00:00.000 (ICU's calendar, which GRDB's formatter uses, is Julian before
    /// 1582-10-15) and 9999-12-31 23:59:59.999 (four-digit years).
    private static let writtenMilliseconds: ClosedRange<Double> = -12_212_553_600_000...253_402_300_799_999

    /// The stored text of `date`: `yyyy-MM-dd HH:mm:ss.SSS`, UTC, 23 ASCII bytes.
    static func text(_ date: Date) -> String {
        // As Foundation's formatter computes it: milliseconds since 1970 from the time interval
        // since 2001, plus half a millisecond (CFDateFormatter), rounded down (ICU's field).
        let milliseconds = ((date.timeIntervalSinceReferenceDate + Date.timeIntervalBetween1970AndReferenceDate) * 1000 + 0.5).rounded(.down)
        guard writtenMilliseconds.contains(milliseconds) else {
            guard case .string(let text) = date.databaseValue.storage else { preconditionFailure("GRDB writes dates as text") }
            return text
        }
        let total = Int64(milliseconds)
        let (days, inDay) = floorDivision(total, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let second = inDay / 1000
        return String(unsafeUninitializedCapacity: 23) { buffer in
            func put(_ value: Int64, digits: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, digits: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, digits: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, digits: 2, at: 8)
            buffer[10] = UInt8(ascii: " ")
            put(second / 3600, digits: 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(second / 60 % 60, digits: 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(second % 60, digits: 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(inDay % 1000, digits: 3, at: 20)
            return 23
        }
    }

    /// The date of stored text in exactly the format ``text(_:)`` writes, with a year of
    /// 1583–9999 and a valid day and time; nil for anything else (which GRDB then reads).
    static func date(text bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count == 23, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: ".")
        else { return nil }
        func number(_ offset: Int, _ digits: Int) -> Int64? {
            var value: Int64 = 0
            for index in offset..<offset + digits {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3),
            (1583...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let milliseconds = (days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + millisecond
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    // MARK: Calendar arithmetic (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms")

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01 (proleptic Gregorian).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to the given day (proleptic Gregorian).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension StoredDate: DatabaseValueConvertible {
    var databaseValue: DatabaseValue { StoredDate.text(date).databaseValue }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredDate? {
        if case .string(let text) = dbValue.storage {
            var text = text
            if let date = text.withUTF8({ StoredDate.date(text: $0) }) { return StoredDate(date) }
        }
        return Date.fromDatabaseValue(dbValue).map(StoredDate.init)
    }
}

extension StoredDate: StatementColumnConvertible {
    init?(sqliteStatement: SQLiteStatement, index: CInt) {
        if sqlite3_column_type(sqliteStatement, index) == SQLITE_TEXT, let text = sqlite3_column_text(sqliteStatement, index) {
            let count = Int(sqlite3_column_bytes(sqliteStatement, index))
            if let date = StoredDate.date(text: UnsafeBufferPointer(start: text, count: count)) {
                self.init(date)
                return
            }
        }
        guard let date = Date(sqliteStatement: sqliteStatement, index: index) else { return nil }
        self.init(date)
    }
}

extension Row {
    /// The date in `column` (``StoredDate``); the row must hold one there.
    func date(_ column: String) -> Date { (self[column] as StoredDate).date }

    /// The date in `column`, or nil when it holds NULL.
    func optionalDate(_ column: String) -> Date? { (self[column] as StoredDate?)?.date }
}
