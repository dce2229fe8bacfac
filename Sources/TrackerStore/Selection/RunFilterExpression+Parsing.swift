// Parsing the filter language: a tokenizer read one token ahead, and a recursive-descent parser over its grammar.

extension RunFilterExpression {
    /// Parses a filter expression (the grammar is in ``RunFilterExpression``).
    ///
    /// ```swift
    /// try RunFilterExpression(parsing: "NOT status = 'failed' AND lr > 1e-3")
    /// // .and(.not(.predicate(name: "status", test: .comparison(.equal, .text("failed")))),
    /// //      .predicate(name: "lr", test: .comparison(.greater, .real(0.001))))
    /// ```
    /// - Throws: ``RunFilterError`` at the first token, from the left, that the grammar does not allow there
    ///   (an empty expression, an unterminated string, a malformed number, a missing operand or parenthesis,
    ///   trailing text, ...).
    public init(parsing text: String) throws(RunFilterError) {
        var parser = try RunFilterParser(text)
        self = try parser.parseFilter()
    }
}

/// A token of the filter language and the 1-based column of its first character.
struct RunFilterToken: Equatable {
    enum Kind: Equatable {
        case name(String)
        case keyword(Keyword)
        case number(RunFilterExpression.Value)
        case string(String)
        case symbol(Symbol)
        /// A character that starts no token (the parser says what it expected instead).
        case unexpected
        case end
    }

    enum Keyword: String, CaseIterable {
        case and = "AND", or = "OR", not = "NOT", `in` = "IN", like = "LIKE", `is` = "IS", null = "NULL"
        case `true` = "TRUE", `false` = "FALSE"
    }

    enum Symbol: String, CaseIterable {
        case open = "(", close = ")", comma = ","
        case equal = "=", notEqual = "!=", lessGreater = "<>", less = "<", lessOrEqual = "<=", greater = ">"
        case greaterOrEqual = ">="

        var comparison: RunFilterExpression.ComparisonOperator? {
            switch self {
            case .equal: return .equal
            case .notEqual, .lessGreater: return .notEqual
            case .less: return .less
            case .lessOrEqual: return .lessOrEqual
            case .greater: return .greater
            case .greaterOrEqual: return .greaterOrEqual
            case .open, .close, .comma: return nil
            }
        }
    }

    let kind: Kind
    let column: Int
    /// The token's text as written.
    let text: String

    /// The token as an error message names it: `'lr'`, `string 'x'`, `end of expression`.
    var quoted: String {
        switch kind {
        case .end: return "end of expression"
        case .string: return "string \(text)"
        case .unexpected where text == "\"": return "'\"' (strings take single quotes)"
        default: return "'\(text)'"
        }
    }
}

/// Reads a filter expression token by token, keeping one token of lookahead in ``current``.
///
/// Errors are found left to right: a malformed token is reported when it becomes the lookahead, which is only
/// after everything before it was accepted.
struct RunFilterParser {
    private let text: String
    private let characters: [Character]
    private var position = 0
    private var current: RunFilterToken

    init(_ text: String) throws(RunFilterError) {
        self.text = text
        characters = Array(text)
        current = RunFilterToken(kind: .end, column: 1, text: "")
        current = try nextToken()
    }

    // MARK: Grammar

    /// filter = or, then the end of the text.
    mutating func parseFilter() throws(RunFilterError) -> RunFilterExpression {
        let expression = try parseOr(expecting: "a condition such as lr > 0.01")
        guard current.kind == .end else {
            if current.kind == .symbol(.close) {
                throw failure(expected: "AND, OR or end of expression", found: "')' with no matching '('")
            }
            throw failure(expected: "AND, OR or end of expression")
        }
        return expression
    }

    /// or = and { "OR" and }; `expecting` names what a missing first operand should have been.
    private mutating func parseOr(expecting: String) throws(RunFilterError) -> RunFilterExpression {
        var expression = try parseAnd(expecting: expecting)
        while current.kind == .keyword(.or) {
            try advance()
            expression = .or(expression, try parseAnd(expecting: "a condition after OR"))
        }
        return expression
    }

    /// and = not { "AND" not }.
    private mutating func parseAnd(expecting: String) throws(RunFilterError) -> RunFilterExpression {
        var expression = try parseNot(expecting: expecting)
        while current.kind == .keyword(.and) {
            try advance()
            expression = .and(expression, try parseNot(expecting: "a condition after AND"))
        }
        return expression
    }

    /// not = "NOT" not | primary.
    private mutating func parseNot(expecting: String) throws(RunFilterError) -> RunFilterExpression {
        guard current.kind == .keyword(.not) else { return try parsePrimary(expecting: expecting) }
        try advance()
        return .not(try parseNot(expecting: "a condition after NOT"))
    }

    /// primary = "(" or ")" | predicate.
    private mutating func parsePrimary(expecting: String) throws(RunFilterError) -> RunFilterExpression {
        switch current.kind {
        case .symbol(.open):
            let openColumn = current.column
            try advance()
            let inner = try parseOr(expecting: "a condition after '('")
            guard current.kind == .symbol(.close) else {
                throw failure(expected: "AND, OR or ')' to close the '(' at column \(openColumn)")
            }
            try advance()
            return inner
        case .name(let name):
            try advance()
            return .predicate(name: name, test: try parseTest(after: name))
        default:
            throw failure(expected: expecting)
        }
    }

    /// What follows a name: operator value | [NOT] IN list | [NOT] LIKE string | IS [NOT] NULL.
    private mutating func parseTest(after name: String) throws(RunFilterError) -> RunFilterExpression.Test {
        switch current.kind {
        case .symbol(let symbol):
            guard let comparison = symbol.comparison else { break }
            let spelling = current.text
            try advance()
            return .comparison(comparison, try parseValue(expecting: "a value after '\(spelling)'"))
        case .keyword(.not):
            try advance()
            switch current.kind {
            case .keyword(.in):
                try advance()
                return .isNotIn(try parseList())
            case .keyword(.like):
                try advance()
                return .notLike(try parsePattern())
            default:
                throw failure(expected: "IN or LIKE after NOT")
            }
        case .keyword(.in):
            try advance()
            return .isIn(try parseList())
        case .keyword(.like):
            try advance()
            return .like(try parsePattern())
        case .keyword(.is):
            try advance()
            let negated = current.kind == .keyword(.not)
            if negated { try advance() }
            guard current.kind == .keyword(.null) else {
                throw failure(expected: negated ? "NULL after IS NOT" : "NULL after IS")
            }
            try advance()
            return negated ? .isNotNull : .isNull
        default:
            break
        }
        throw failure(expected: "an operator after '\(name)' (=, !=, <, <=, >, >=, IN, NOT IN, LIKE, IS NULL)")
    }

    /// value = number | string | TRUE | FALSE.
    private mutating func parseValue(expecting: String) throws(RunFilterError) -> RunFilterExpression.Value {
        let value: RunFilterExpression.Value
        switch current.kind {
        case .number(let number): value = number
        case .string(let string): value = .text(string)
        case .keyword(.true): value = .integer(1)
        case .keyword(.false): value = .integer(0)
        case .keyword(.null):
            throw failure(expected: expecting, found: "NULL (test for a missing value with IS NULL)")
        case .name(let name):
            throw failure(expected: expecting, found: "'\(name)' (quote text: \(RunFilterExpression.Value.text(name)))")
        default:
            throw failure(expected: expecting)
        }
        try advance()
        return value
    }

    /// "(" value { "," value } ")", after IN.
    private mutating func parseList() throws(RunFilterError) -> [RunFilterExpression.Value] {
        guard current.kind == .symbol(.open) else { throw failure(expected: "'(' and a list of values after IN") }
        try advance()
        var values = [try parseValue(expecting: "a value in the IN list")]
        while current.kind == .symbol(.comma) {
            try advance()
            values.append(try parseValue(expecting: "a value after ','"))
        }
        guard current.kind == .symbol(.close) else { throw failure(expected: "',' or ')' in the IN list") }
        try advance()
        return values
    }

    /// The quoted pattern after LIKE.
    private mutating func parsePattern() throws(RunFilterError) -> String {
        guard case .string(let pattern) = current.kind else { throw failure(expected: "a quoted pattern after LIKE") }
        try advance()
        return pattern
    }

    private mutating func advance() throws(RunFilterError) {
        current = try nextToken()
    }

    private func failure(expected: String, found: String? = nil) -> RunFilterError {
        RunFilterError(expression: text, column: current.column, expected: expected, found: found ?? current.quoted)
    }

    // MARK: Tokens

    /// Reads the token at ``position``, skipping whitespace before it.
    private mutating func nextToken() throws(RunFilterError) -> RunFilterToken {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
        let start = position
        func token(_ kind: RunFilterToken.Kind) -> RunFilterToken {
            RunFilterToken(kind: kind, column: start + 1, text: String(characters[start..<position]))
        }
        guard position < characters.count else { return token(.end) }
        let character = characters[position]
        if character == "'" { return token(.string(try readString())) }
        if isDigit(at: position) || character == "-" || (character == "." && isDigit(at: position + 1)) {
            return token(.number(try readNumber()))
        }
        if isNameStart(character) {
            while position < characters.count, isNameStart(characters[position]) || isDigit(at: position) {
                position += 1
            }
            let word = String(characters[start..<position])
            if let keyword = RunFilterToken.Keyword(rawValue: word.uppercased()) { return token(.keyword(keyword)) }
            return token(.name(word))
        }
        for length in [2, 1] where position + length <= characters.count {
            if let symbol = RunFilterToken.Symbol(rawValue: String(characters[position..<position + length])) {
                position += length
                return token(.symbol(symbol))
            }
        }
        position += 1
        return token(.unexpected)
    }

    /// A quoted string from the quote at ``position``; `''` inside is one quote.
    private mutating func readString() throws(RunFilterError) -> String {
        let start = position
        var string = ""
        position += 1
        while position < characters.count {
            let character = characters[position]
            position += 1
            if character != "'" {
                string.append(character)
            } else if position < characters.count && characters[position] == "'" {
                string.append("'")
                position += 1
            } else {
                return string
            }
        }
        throw RunFilterError(expression: text, column: start + 1,
                             expected: "a closing quote for the string that starts here", found: "end of expression")
    }

    /// A number from ``position``: `[-] digits [. digits] [e [+|-] digits]`, or a leading `.`; it must not run
    /// into a letter, digit, `_` or `.`.
    private mutating func readNumber() throws(RunFilterError) -> RunFilterExpression.Value {
        let start = position
        func skipDigits() -> Int {
            let first = position
            while isDigit(at: position) { position += 1 }
            return position - first
        }
        if characters[position] == "-" { position += 1 }
        var isReal = false
        var valid = skipDigits() > 0
        if position < characters.count && characters[position] == "." {
            position += 1
            isReal = true
            valid = skipDigits() > 0 || valid
        }
        if position < characters.count && (characters[position] == "e" || characters[position] == "E") {
            position += 1
            if position < characters.count && (characters[position] == "+" || characters[position] == "-") {
                position += 1
            }
            isReal = true
            valid = skipDigits() > 0 && valid
        }
        if position < characters.count && (isNameStart(characters[position]) || characters[position] == ".") {
            valid = false
        }
        let literal = String(characters[start..<position])
        if valid, !isReal, let integer = Int64(literal) { return .integer(integer) }
        if valid, let real = Double(literal) {
            guard real.isFinite else {
                throw RunFilterError(expression: text, column: start + 1,
                                     expected: "a number of magnitude below 1.8e308", found: "'\(literal)'")
            }
            return .real(real)
        }
        // Extend over the rest of the word so the message shows all of it (`12abc`, `1.2.3`, `1e+x`).
        while position < characters.count {
            let character = characters[position]
            let afterExponent = (character == "+" || character == "-")
                && (characters[position - 1] == "e" || characters[position - 1] == "E")
            guard isNameStart(character) || character.isNumber || character == "." || afterExponent else { break }
            position += 1
        }
        throw RunFilterError(expression: text, column: start + 1, expected: "a number such as 3, -0.5 or 1e-3",
                             found: "'\(String(characters[start..<position]))'")
    }

    private func isDigit(at index: Int) -> Bool {
        index < characters.count && characters[index].isASCII && characters[index].isNumber
    }

    private func isNameStart(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character == "_")
    }
}
