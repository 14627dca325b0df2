import Foundation
import GRDB

// Statements run through SQLite's prepared statement cache of each connection. Hot paths (token
// rotation, code redemption, lookups) otherwise spend more time compiling SQL than running it.
// Their arguments are `SQLArguments`, which bind a `Date` as `StoredDate` text instead of through
// GRDB's formatter (StoredDate.swift says why).

/// A value bound to a statement parameter: GRDB's own conversion for everything but `Date`, which
/// binds as ``StoredDate`` (the same text, written without Foundation's formatter). A type that is
/// not listed here does not compile as an argument, so no date reaches GRDB's conversion unseen.
protocol SQLBindable {
    /// The value GRDB binds.
    var bound: any DatabaseValueConvertible { get }
}

extension SQLBindable where Self: DatabaseValueConvertible {
    var bound: any DatabaseValueConvertible { self }
}

extension String: SQLBindable {}
extension Int: SQLBindable {}
extension Int64: SQLBindable {}
extension Int32: SQLBindable {}
extension UInt32: SQLBindable {}
extension Bool: SQLBindable {}
extension Double: SQLBindable {}
extension Data: SQLBindable {}
extension StoredDate: SQLBindable {}

extension Date: SQLBindable {
    var bound: any DatabaseValueConvertible { StoredDate(self) }
}

/// The arguments of a statement (``SQLBindable`` values, in order), written as an array literal.
struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    /// GRDB's arguments of the same values. Built with GRDB's initializer for optional
    /// existentials: the one for a sequence of one concrete type instantiates a key path per call.
    private(set) var statementArguments: StatementArguments

    init(arrayLiteral elements: (any SQLBindable)?...) { statementArguments = StatementArguments(elements.map { $0?.bound }) }

    static func += (lhs: inout SQLArguments, rhs: SQLArguments) { lhs.statementArguments += rhs.statementArguments }

    static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments {
        var sum = lhs
        sum += rhs
        return sum
    }
}

extension Database {
    /// Executes `sql` from the connection's statement cache.
    func execute(cached sql: String, arguments: SQLArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments.statementArguments)
    }
}

extension Row {
    static func fetchOne(_ db: Database, cached sql: String, arguments: SQLArguments = []) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments.statementArguments)
    }

    static func fetchAll(_ db: Database, cached sql: String, arguments: SQLArguments = []) throws -> [Row] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments.statementArguments)
    }

    /// The first row of `sql`, decoded by `decode` while the statement stands on it (the row is
    /// not kept). Cheaper than decoding ``fetchOne(_:cached:arguments:)``'s row by column name: a
    /// copied row finds a column by lower-casing and comparing every column's name, the
    /// statement's row by one dictionary lookup.
    static func fetchOne<T>(
        _ db: Database, cached sql: String, arguments: SQLArguments = [], decode: (Row) throws -> T
    ) throws -> T? {
        let cursor = try fetchCursor(db.cachedStatement(sql: sql), arguments: arguments.statementArguments)
        guard let row = try cursor.next() else { return nil }
        // The cursor resets the statement when it goes, and the row reads the statement.
        return try withExtendedLifetime(cursor) { try decode(row) }
    }
}

extension DatabaseValueConvertible where Self: StatementColumnConvertible {
    static func fetchOne(_ db: Database, cached sql: String, arguments: SQLArguments = []) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments.statementArguments)
    }

    static func fetchAll(_ db: Database, cached sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments.statementArguments)
    }
}
