// Is a file's schema the one tracker's migrations make? Views and triggers an archive brings along are not trusted.
import Foundation
import GRDB
import Synchronization

/// A comparison of a database's schema objects with those that tracker's own migrations create at the same version.
///
/// SQLite runs the SQL of views and triggers stored in a file whenever they are used: a view can call functions,
/// and a trigger on a table tracker writes runs its body inside tracker's transaction. A file from elsewhere could
/// carry such objects, so every file is audited when it is opened: a view whose SQL differs from tracker's, or any
/// view or trigger tracker does not create, makes it refused (``StoreError/tamperedSchema(path:detail:)``), before any
/// statement could use them. Tables are compared by their columns, so an honest file is never refused over how one
/// SQLite version printed an `ALTER TABLE`.
struct SchemaAudit: Equatable, Sendable {
    /// Problems found, one line each; empty when the schema is tracker's own.
    var problems: [String]

    var isClean: Bool { problems.isEmpty }

    /// Audits the schema of `db`, a tracker database at `version`.
    static func audit(_ db: Database, version: Int) throws -> SchemaAudit {
        let expected = try expectedObjects(version: version)
        let found = try objects(in: db, schema: "main")
        var problems: [String] = []
        for (name, object) in found.sorted(by: { $0.key < $1.key }) {
            guard let reference = expected[name] else {
                if object.type == "view" || object.type == "trigger" {
                    problems.append("\(object.type) '\(name)' is not part of tracker's schema \(version)")
                }
                continue  // an extra table or index cannot run code; `tracker check` lists it as a note
            }
            if object.type != reference.type {
                problems.append("'\(name)' is a \(object.type), tracker's schema has a \(reference.type)")
            } else if object.type == "view" || object.type == "trigger", object.sql != reference.sql {
                problems.append("\(object.type) '\(name)' differs from tracker's definition")
            } else if object.type == "table", object.columns != reference.columns {
                problems.append("table '\(name)' has columns (\(object.columns.joined(separator: ", "))), tracker's "
                                + "schema \(version) has (\(reference.columns.joined(separator: ", ")))")
            }
        }
        for (name, reference) in expected.sorted(by: { $0.key < $1.key })
        where found[name] == nil && reference.type != "index" {
            problems.append("\(reference.type) '\(name)' is missing")
        }
        return SchemaAudit(problems: problems)
    }

    /// Objects in the file that tracker's schema does not have but that cannot run code (extra tables, indexes).
    static func extraObjects(_ db: Database, version: Int) throws -> [String] {
        let expected = try expectedObjects(version: version)
        return try objects(in: db, schema: "main").filter { expected[$0.key] == nil }
            .filter { $0.value.type == "table" || $0.value.type == "index" }
            .map { "\($0.value.type) '\($0.key)'" }.sorted()
    }

    struct SchemaObject: Equatable, Sendable {
        var type: String
        /// Whitespace-normalised SQL (views and triggers).
        var sql: String
        /// Column names in order (tables).
        var columns: [String]
    }

    /// The objects that migrations 1...version create, built in a private in-memory database.
    /// Built once per version and process (merging a hundred shards audits each of them).
    static func expectedObjects(version: Int) throws -> [String: SchemaObject] {
        if let cached = expectedCache.withLock({ $0[version] }) { return cached }
        let objects = try buildExpectedObjects(version: version)
        expectedCache.withLock { $0[version] = objects }
        return objects
    }

    private static let expectedCache = Mutex<[Int: [String: SchemaObject]]>([:])

    private static func buildExpectedObjects(version: Int) throws -> [String: SchemaObject] {
        let queue = try DatabaseQueue()
        let migrations = Array(Migration.all.prefix(version))
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: ":memory:", migrations: migrations) }
        return try queue.read { db in try objects(in: db, schema: "main") }
    }

    /// Every view, trigger, table and index of `schema` except SQLite's own.
    static func objects(in db: Database, schema: String) throws -> [String: SchemaObject] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT type, name, sql FROM "\(schema)".sqlite_master
            WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            """)
        var objects: [String: SchemaObject] = [:]
        for row in rows {
            let type: String = row["type"]
            let name: String = row["name"]
            let sql: String = row["sql"] ?? ""
            var columns: [String] = []
            if type == "table" {
                columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_xinfo(?, ?)",
                                              arguments: [name, schema])
            }
            objects[name] = SchemaObject(type: type, sql: normalized(sql), columns: columns)
        }
        return objects
    }

    /// SQL with every run of whitespace made one space, so indentation does not count as a difference.
    static func normalized(_ sql: String) -> String {
        sql.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
