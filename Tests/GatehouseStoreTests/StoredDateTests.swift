import Foundation
import GRDB
@testable import GatehouseStore
import Testing

/// ``StoredDate`` writes and reads the text GRDB writes and reads for a `Date`, without Foundation's
/// formatter: every row written before it, by GRDB, reads the same, and SQL's text comparisons of
/// such columns keep their order.
@Suite("Stored dates: GRDB's text, without Foundation's formatter")
struct StoredDateTests {
    /// GRDB's text for `date` (Foundation's `DateFormatter`).
    static func grdbText(_ date: Date) -> String {
        guard case .string(let text) = date.databaseValue.storage else { Issue.record("not text"); return "" }
        return text
    }

    /// Dates GRDB writes: now and the token lifetimes around it, milliseconds on their edges,
    /// leap days, the ends of the written range, and dates before 1970.
    static var samples: [Date] {
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [
            Date(), Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005), Date(timeIntervalSince1970: 0.9995),
            Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.999),  // 2100-02-28 23:59:59.999
            Date(timeIntervalSince1970: 253_402_300_799.999), Date(timeIntervalSince1970: -12_212_553_600),  // 9999-12-31, 1583-01-01
            Date(timeIntervalSince1970: -1_000_000_000.1234), Date.distantFuture, Date.distantPast,
            Date(timeIntervalSince1970: 253_402_300_800),  // year 10000: GRDB's text
            Date(timeIntervalSince1970: -12_212_553_600.001),  // 1582: GRDB's text
        ]
        for _ in 0..<20_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -1e10...1e10, using: &generator)))
            // Around now, in microseconds: the fractions a clock gives.
            dates.append(Date(timeIntervalSince1970: 1.8e9 + Double(Int64.random(in: 0...1_000_000_000_000, using: &generator)) / 1e6))
        }
        return dates
    }

    @Test("writes the text GRDB writes, and reads it back as GRDB does")
    func sameTextBothWays() throws {
        var written = 0
        for date in Self.samples {
            let expected = Self.grdbText(date)
            let text = StoredDate.text(date)
            #expect(text == expected, "\(date.timeIntervalSince1970)")
            // GRDB cannot read back the five-digit years it writes after 9999.
            guard text == expected, let grdb = Date.fromDatabaseValue(text.databaseValue) else { continue }
            let ours = try #require(StoredDate.fromDatabaseValue(text.databaseValue)).date
            // GRDB reads through `Calendar`, whose floating-point arithmetic lands a few
            // microseconds off the millisecond for some dates; ours is the millisecond itself.
            #expect(abs(ours.timeIntervalSince(grdb)) < 1e-5, "\(text)")
            #expect(StoredDate.text(ours) == text, "\(text)")
            if text.utf8.count == 23 { written += 1 }
        }
        #expect(written > 40_000)
    }

    @Test("reads a statement's column, NULL, other SQLite date formats and numbers as GRDB does")
    func readsColumns() throws {
        let queue = try DatabaseQueue()
        try queue.read { db in
            for text in ["2026-12-06 13:47:51.123", "2026-12-06 13:47:51", "2026-12-06T13:47", "2026-12-06", "2024-02-29 23:59:59.999"] {
                let ours = try #require(try StoredDate.fetchOne(db, cached: "SELECT ?", arguments: [text])).date
                let grdb = try #require(try Date.fetchOne(db, sql: "SELECT ?", arguments: [text]))
                #expect(abs(ours.timeIntervalSince(grdb)) < 1e-5, "\(text)")
            }
            let number = try #require(try StoredDate.fetchOne(db, cached: "SELECT 1700000000.5")).date
            #expect(number == Date(timeIntervalSince1970: 1_700_000_000.5))
            #expect(try StoredDate.fetchOne(db, cached: "SELECT NULL") == nil)
            // Not a valid day or time: GRDB's reading (which refuses or normalizes it).
            for text in ["2026-02-30 00:00:00.000", "2026-13-01 00:00:00.000", "2026-12-06 24:00:00.000", "20x6-12-06 13:47:51.123"] {
                let ours = (try? StoredDate.fetchOne(db, cached: "SELECT ?", arguments: [text]))?.map(\.date)
                let grdb = try? Date.fetchOne(db, sql: "SELECT ?", arguments: [text])
                #expect(ours == grdb, "\(text)")
            }
        }
    }

    @Test("a Date argument binds as the stored text, in order with the dates GRDB wrote")
    func argumentsBindTheText() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (at TEXT NOT NULL)")
            let now = Date()
            // The same text either way: what must hold is that a Date is bound through StoredDate.
            #expect(now.bound is StoredDate)
            try db.execute(cached: "INSERT INTO t (at) VALUES (?)", arguments: [now])
            #expect(try String.fetchOne(db, sql: "SELECT at FROM t") == Self.grdbText(now))
            let later = try Bool.fetchOne(db, cached: "SELECT at < ? FROM t", arguments: [now.addingTimeInterval(0.001)])
            #expect(later == true)
        }
    }
}
