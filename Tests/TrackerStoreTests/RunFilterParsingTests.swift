// The filter language's parser: precedence, associativity, keywords, literals, canonical text and every error.
import Testing
@testable import TrackerStore

/// `name = value`, the predicate most tests build trees from.
private func equals(_ name: String, _ value: RunFilterExpression.Value = .integer(1)) -> RunFilterExpression {
    .predicate(name: name, test: .comparison(.equal, value))
}

private func parse(_ text: String) throws -> RunFilterExpression { try RunFilterExpression(parsing: text) }

@Suite struct RunFilterParsingTests {
    let a = equals("a"), b = equals("b"), c = equals("c")

    @Test func notBindsTighterThanAndAndAndTighterThanOr() throws {
        #expect(try parse("a = 1 OR b = 1 AND c = 1") == .or(a, .and(b, c)))
        #expect(try parse("a = 1 AND b = 1 OR c = 1") == .or(.and(a, b), c))
        #expect(try parse("NOT a = 1 AND b = 1") == .and(.not(a), b))
        #expect(try parse("NOT a = 1 OR b = 1") == .or(.not(a), b))
        #expect(try parse("a = 1 OR NOT b = 1 AND c = 1") == .or(a, .and(.not(b), c)))
        #expect(try parse("NOT NOT a = 1") == .not(.not(a)))
    }

    @Test func parenthesesOverridePrecedence() throws {
        #expect(try parse("(a = 1 OR b = 1) AND c = 1") == .and(.or(a, b), c))
        #expect(try parse("NOT (a = 1 OR b = 1)") == .not(.or(a, b)))
        #expect(try parse("((a = 1))") == a)
        #expect(try parse("a = 1 AND (b = 1 AND c = 1)") == .and(a, .and(b, c)))
    }

    @Test func andAndOrAreLeftAssociative() throws {
        #expect(try parse("a = 1 AND b = 1 AND c = 1") == .and(.and(a, b), c))
        #expect(try parse("a = 1 OR b = 1 OR c = 1") == .or(.or(a, b), c))
    }

    @Test func theExampleOfTheIssueParsesToItsTree() throws {
        let parsed = try parse(
            "lr > 0.01 AND (arch = 'mlp' OR tag = 'baseline') AND seed IN (1,2,3) AND NOT status = 'failed'")
        let expected: RunFilterExpression = .and(
            .and(.and(.predicate(name: "lr", test: .comparison(.greater, .real(0.01))),
                      .or(equals("arch", .text("mlp")), equals("tag", .text("baseline")))),
                 .predicate(name: "seed", test: .isIn([.integer(1), .integer(2), .integer(3)]))),
            .not(equals("status", .text("failed"))))
        #expect(parsed == expected)
    }

    @Test func keywordsIgnoreCaseAndNamesDoNot() throws {
        let parsed = try parse(
            "a = 1 and not b = 1 Or c iN (1) AND d Is NoT nUlL AND e not like 'x%' AND f = true AND g = False")
        let expected: RunFilterExpression = .or(
            .and(a, .not(b)),
            .and(.and(.and(.and(.predicate(name: "c", test: .isIn([.integer(1)])),
                                .predicate(name: "d", test: .isNotNull)),
                           .predicate(name: "e", test: .notLike("x%"))),
                      equals("f", .integer(1))),
                 equals("g", .integer(0))))
        #expect(parsed == expected)
        #expect(try parse("LR = 1") == equals("LR"))
        #expect(try parse("android = 1 AND And_x = 1 AND nothing = 1 AND island = 1")
            == .and(.and(.and(equals("android"), equals("And_x")), equals("nothing")), equals("island")))
    }

    @Test(arguments: [
        ("1", RunFilterExpression.Value.integer(1)), ("0", .integer(0)), ("-3", .integer(-3)),
        ("9223372036854775807", .integer(.max)), ("-9223372036854775808", .integer(.min)),
        ("9223372036854775808", .real(9_223_372_036_854_775_808)), ("0.01", .real(0.01)), (".5", .real(0.5)),
        ("5.", .real(5)), ("-0.25", .real(-0.25)), ("-.5", .real(-0.5)), ("1e-3", .real(0.001)),
        ("2E+2", .real(200)), ("-1.5e3", .real(-1500)), ("1.e2", .real(100)), ("'mlp'", .text("mlp")),
        ("'it''s'", .text("it's")), ("''", .text("")), ("''''", .text("'")), ("'a  b'", .text("a  b")),
        ("'AND'", .text("AND")), ("'64-128relu-64relu-10'", .text("64-128relu-64relu-10")),
        ("'é ∑'", .text("é ∑")), ("TRUE", .integer(1)), ("false", .integer(0)),
    ])
    func literalsParseToTheirSQLTypes(literal: String, value: RunFilterExpression.Value) throws {
        #expect(try parse("x = \(literal)") == equals("x", value))
    }

    @Test func everyOperatorAndTestIsRead() throws {
        let operators: [(String, RunFilterExpression.ComparisonOperator)] = [
            ("=", .equal), ("!=", .notEqual), ("<>", .notEqual), ("<", .less), ("<=", .lessOrEqual),
            (">", .greater), (">=", .greaterOrEqual),
        ]
        for (spelling, comparison) in operators {
            #expect(try parse("x \(spelling) 2") == .predicate(name: "x", test: .comparison(comparison, .integer(2))))
            #expect(try parse("x\(spelling)-2") == .predicate(name: "x", test: .comparison(comparison, .integer(-2))))
        }
        #expect(try parse("seed IN(1,2 ,3)")
            == .predicate(name: "seed", test: .isIn([.integer(1), .integer(2), .integer(3)])))
        #expect(try parse("seed NOT IN ('a')") == .predicate(name: "seed", test: .isNotIn([.text("a")])))
        #expect(try parse("name LIKE 'a%'") == .predicate(name: "name", test: .like("a%")))
        #expect(try parse("name NOT LIKE '_b'") == .predicate(name: "name", test: .notLike("_b")))
        #expect(try parse("name IS NULL") == .predicate(name: "name", test: .isNull))
        #expect(try parse("name IS NOT NULL") == .predicate(name: "name", test: .isNotNull))
        #expect(try parse("\t_key_2 = 1\n") == equals("_key_2"))
    }

    @Test func theCanonicalTextKeepsOnlyTheNeededParenthesesAndParsesBack() throws {
        let canonical: [(String, String)] = [
            ("a = 1 AND (b = 1 OR c = 1)", "a = 1 AND (b = 1 OR c = 1)"),
            ("(a = 1 AND b = 1) AND c = 1", "a = 1 AND b = 1 AND c = 1"),
            ("a = 1 AND (b = 1 AND c = 1)", "a = 1 AND (b = 1 AND c = 1)"),
            ("(a = 1 OR b = 1) OR (c = 1)", "a = 1 OR b = 1 OR c = 1"),
            ("a = 1 or (b = 1 and c = 1)", "a = 1 OR b = 1 AND c = 1"),
            ("not (a <> 1)", "NOT a != 1"),
            ("NOT (a = 1 AND b = 1)", "NOT (a = 1 AND b = 1)"),
            ("name = 'it''s'", "name = 'it''s'"),
            ("x in (1, 2.5,'q') AND y not in (-1) AND z is not null",
             "x IN (1, 2.5, 'q') AND y NOT IN (-1) AND z IS NOT NULL"),
            ("lr >= 1e-5 AND n like 'a%' AND m not like 'b'", "lr >= 1e-05 AND n LIKE 'a%' AND m NOT LIKE 'b'"),
        ]
        for (input, expected) in canonical {
            let expression = try parse(input)
            #expect(expression.description == expected, "\(input)")
            #expect(try parse(expression.description) == expression, "\(input)")
        }
        let trees: [RunFilterExpression] = [
            .and(a, .or(b, .not(c))), .or(.and(a, b), .and(b, c)), .not(.not(.or(a, b))), .or(a, .or(b, c)),
            .and(.not(.and(a, b)), c), equals("x", .real(9_223_372_036_854_775_808)), equals("x", .real(100)),
        ]
        for tree in trees { #expect(try parse(tree.description) == tree, "\(tree)") }
    }

    @Test func namesAreListedOnceInOrderOfFirstUse() throws {
        let expression = try parse("b = 1 OR a = 2 AND NOT b IS NULL OR tag = 'x' AND (a > 0 OR c < 1)")
        #expect(expression.names == ["b", "a", "tag", "c"])
    }

    @Test(arguments: [
        ("", 1, "a condition such as lr > 0.01", "end of expression"),
        ("   ", 4, "a condition such as lr > 0.01", "end of expression"),
        ("lr >> 1", 5, "a value after '>'", "'>'"),
        ("lr >", 5, "a value after '>'", "end of expression"),
        ("lr <> ", 7, "a value after '<>'", "end of expression"),
        ("name = 'abc", 8, "a closing quote for the string that starts here", "end of expression"),
        ("name = 'ab''", 8, "a closing quote for the string that starts here", "end of expression"),
        ("(lr > 1", 8, "AND, OR or ')' to close the '(' at column 1", "end of expression"),
        ("((a = 1) OR b = 1", 18, "AND, OR or ')' to close the '(' at column 1", "end of expression"),
        ("(a = 1 b = 1)", 8, "AND, OR or ')' to close the '(' at column 1", "'b'"),
        ("lr > 1)", 7, "AND, OR or end of expression", "')' with no matching '('"),
        ("lr > 1 seed = 2", 8, "AND, OR or end of expression", "'seed'"),
        ("lr > 1 & seed = 1", 8, "AND, OR or end of expression", "'&'"),
        ("lr > 1 AND", 11, "a condition after AND", "end of expression"),
        ("lr > 1 OR OR seed = 1", 11, "a condition after OR", "'OR'"),
        ("OR lr > 1", 1, "a condition such as lr > 0.01", "'OR'"),
        ("NOT", 4, "a condition after NOT", "end of expression"),
        ("()", 2, "a condition after '('", "')'"),
        ("0.1 < lr", 1, "a condition such as lr > 0.01", "'0.1'"),
        ("'x' = name", 1, "a condition such as lr > 0.01", "string 'x'"),
        ("lr", 3, "an operator after 'lr' (=, !=, <, <=, >, >=, IN, NOT IN, LIKE, IS NULL)", "end of expression"),
        ("lr 0.1", 4, "an operator after 'lr' (=, !=, <, <=, >, >=, IN, NOT IN, LIKE, IS NULL)", "'0.1'"),
        ("lr ! 1", 4, "an operator after 'lr' (=, !=, <, <=, >, >=, IN, NOT IN, LIKE, IS NULL)", "'!'"),
        ("seed IN 1", 9, "'(' and a list of values after IN", "'1'"),
        ("seed in", 8, "'(' and a list of values after IN", "end of expression"),
        ("seed IN ()", 10, "a value in the IN list", "')'"),
        ("seed IN (1, )", 13, "a value after ','", "')'"),
        ("seed IN (1 2)", 12, "',' or ')' in the IN list", "'2'"),
        ("seed IN (1", 11, "',' or ')' in the IN list", "end of expression"),
        ("seed NOT 1", 10, "IN or LIKE after NOT", "'1'"),
        ("name LIKE abc", 11, "a quoted pattern after LIKE", "'abc'"),
        ("name IS 'x'", 9, "NULL after IS", "string 'x'"),
        ("name IS NOT 1", 13, "NULL after IS NOT", "'1'"),
        ("lr = 1e", 6, "a number such as 3, -0.5 or 1e-3", "'1e'"),
        ("lr = 1.2.3", 6, "a number such as 3, -0.5 or 1e-3", "'1.2.3'"),
        ("lr = 12abc AND x = 1", 6, "a number such as 3, -0.5 or 1e-3", "'12abc'"),
        ("lr = 1e+x", 6, "a number such as 3, -0.5 or 1e-3", "'1e+x'"),
        ("lr = -", 6, "a number such as 3, -0.5 or 1e-3", "'-'"),
        ("lr = - 1", 6, "a number such as 3, -0.5 or 1e-3", "'-'"),
        ("lr>0.01AND seed = 1", 4, "a number such as 3, -0.5 or 1e-3", "'0.01AND'"),
        ("lr = 1e999", 6, "a number of magnitude below 1.8e308", "'1e999'"),
        ("activation = tanh", 14, "a value after '='", "'tanh' (quote text: 'tanh')"),
        ("name = NULL", 8, "a value after '='", "NULL (test for a missing value with IS NULL)"),
        ("name = \"x\"", 8, "a value after '='", "'\"' (strings take single quotes)"),
        ("lr >> 'abc", 5, "a value after '>'", "'>'"),
        ("name = 'e\u{301}' x", 12, "AND, OR or end of expression", "'x'"),
    ])
    func malformedExpressionsNameTheColumnTheExpectationAndTheToken(
        text: String, column: Int, expected: String, found: String
    ) {
        #expect(throws: RunFilterError(expression: text, column: column, expected: expected, found: found)) {
            try RunFilterExpression(parsing: text)
        }
    }

    @Test func theErrorReadsAsOneLineWithACaretBelow() {
        let error = #expect(throws: RunFilterError.self) { try RunFilterExpression(parsing: "lr >> 1") }
        #expect(error?.description == "column 5: expected a value after '>', found '>'")
        #expect(error?.caretLine == "    ^")
        let tabbed = RunFilterError(expression: "\tlr >> 1", column: 6, expected: "", found: "")
        #expect(tabbed.caretLine == "\t    ^")
    }
}
