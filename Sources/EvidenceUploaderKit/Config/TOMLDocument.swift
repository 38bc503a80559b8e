/// `key = value` on a line of its own.
public struct TOMLEntry: Sendable, Equatable {
    public let key: String
    public let value: TOMLValue
    public let line: Int
}

/// A `[name]` table and its entries in file order. The keys before any header belong to the
/// root table, whose name is "".
public struct TOMLTable: Sendable, Equatable {
    public let name: String
    public let line: Int
    public internal(set) var entries: [TOMLEntry] = []
    /// Keys whose value could not be parsed (the syntax error is reported separately).
    public internal(set) var damagedKeys: [String] = []

    public func entry(_ key: String) -> TOMLEntry? { entries.first { $0.key == key } }
}

/// A parsed document: the root table first, then the tables in file order.
public struct TOMLDocument: Sendable, Equatable {
    public internal(set) var tables: [TOMLTable]

    public var root: TOMLTable { tables[0] }

    public func table(_ name: String) -> TOMLTable? { tables.first { $0.name == name } }
}

/// What the parser found: the document as far as it could be read, and every syntax error.
public struct TOMLParseResult: Sendable, Equatable {
    public let document: TOMLDocument
    public let errors: [TOMLError]
}
