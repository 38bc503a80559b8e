/// `key = value` on a line of its own.
struct TOMLEntry: Sendable, Equatable {
    let key: String
    let value: TOMLValue
    let line: Int
}

/// A `[name]` table and its entries in file order. The keys before any header belong to the
/// root table, whose name is "".
struct TOMLTable: Sendable, Equatable {
    let name: String
    let line: Int
    var entries: [TOMLEntry] = []
    /// Keys whose value could not be parsed (the syntax error is reported separately).
    var damagedKeys: [String] = []

    func entry(_ key: String) -> TOMLEntry? { entries.first { $0.key == key } }
}

/// A parsed document: the root table first, then the tables in file order.
struct TOMLDocument: Sendable, Equatable {
    var tables: [TOMLTable]

    var root: TOMLTable { tables[0] }

    func table(_ name: String) -> TOMLTable? { tables.first { $0.name == name } }
}

/// What the parser found: the document as far as it could be read, and every syntax error.
struct TOMLParseResult: Sendable, Equatable {
    let document: TOMLDocument
    let errors: [TOMLError]
}
