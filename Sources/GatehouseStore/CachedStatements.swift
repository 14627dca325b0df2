import GRDB

// Statements run through SQLite's prepared statement cache of each connection. Hot paths (token
// rotation, code redemption, lookups) otherwise spend more time compiling SQL than running it.

extension Database {
    /// Executes `sql` from the connection's statement cache.
    func execute(cached sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension Row {
    static func fetchOne(_ db: Database, cached sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(_ db: Database, cached sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// The first row of `sql`, decoded by `decode` while the statement stands on it (the row is
    /// not kept). Cheaper than decoding ``fetchOne(_:cached:arguments:)``'s row by column name: a
    /// copied row finds a column by lower-casing and comparing every column's name, the
    /// statement's row by one dictionary lookup.
    static func fetchOne<T>(
        _ db: Database, cached sql: String, arguments: StatementArguments = StatementArguments(), decode: (Row) throws -> T
    ) throws -> T? {
        let cursor = try fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        guard let row = try cursor.next() else { return nil }
        // The cursor resets the statement when it goes, and the row reads the statement.
        return try withExtendedLifetime(cursor) { try decode(row) }
    }
}

extension DatabaseValueConvertible where Self: StatementColumnConvertible {
    static func fetchOne(_ db: Database, cached sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(_ db: Database, cached sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}
