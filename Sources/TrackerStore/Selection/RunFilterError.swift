// The error of a filter expression that does not parse: where, what was expected, what was found.

/// A filter expression that does not follow the grammar of ``RunFilterExpression``.
///
/// ```
/// lr >> 1
///     ^    column 5: expected a value after '>', found '>'
/// ```
public struct RunFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression as given.
    public let expression: String
    /// Where the problem is: 1-based, in characters of ``expression``; one past its end for a missing token.
    public let column: Int
    /// What the grammar allows here, e.g. `a value after '>'`.
    public let expected: String
    /// What is there instead, e.g. `'>'` or `end of expression`.
    public let found: String

    public init(expression: String, column: Int, expected: String, found: String) {
        self.expression = expression
        self.column = column
        self.expected = expected
        self.found = found
    }

    /// One line: `column 5: expected a value after '>', found '>'`.
    public var description: String { "column \(column): expected \(expected), found \(found)" }

    /// A caret under ``column``, to print on the line below ``expression`` (tabs are kept, so it lines up).
    public var caretLine: String {
        String(expression.prefix(column - 1).map { $0 == "\t" ? "\t" : " " }) + "^"
    }
}
