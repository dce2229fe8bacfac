// Rows as the store returns them to commands: column names and typed SQL values, ready to format.
import Foundation
import GRDB

/// A value of a result cell, with SQLite's storage class.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let real): self = .real(real)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob([UInt8](data))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let integer): return integer.databaseValue
        case .real(let real): return real.databaseValue
        case .text(let text): return text.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }

    /// Parses a command-line parameter: an integer, else a real, else text; `null` for NULL.
    public init(parsing text: String) {
        if text == "null" { self = .null } else if let integer = Int64(text) { self = .integer(integer) } else if
            let real = Double(text), !text.lowercased().contains("nan"), !text.lowercased().contains("inf") {
            self = .real(real)
        } else { self = .text(text) }
    }
}

/// The result of a query: column names and rows of values.
public struct ResultTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The values of column `name`, or nil when there is no such column.
    public func column(_ name: String) -> [SQLValue]? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0[index] }
    }

    /// Fetches every row of a prepared statement.
    static func fetch(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> ResultTable {
        let columns = statement.columnNames
        var rows: [[SQLValue]] = []
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try cursor.next() {
            rows.append((0..<columns.count).map { SQLValue(row[$0] as DatabaseValue) })
        }
        return ResultTable(columns: columns, rows: rows)
    }
}
