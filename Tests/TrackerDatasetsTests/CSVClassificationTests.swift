// The byte-level CSV parser behind the bundled data sets: values, line ends and one-line errors.
import Testing
import TrackerEngine
@testable import TrackerDatasets

@Suite struct CSVClassificationTests {
    /// Parses `text` as samples of two features in 0...16 and a class in 0..<2.
    func parse(_ text: String) throws -> (features: [Float], labels: [Int32]) {
        let data = try CSVClassification.parse(Array(text.utf8), name: "toy", featureCount: 2, classCount: 2,
                                               maximumValue: 16)
        return (data.features, data.labels)
    }

    /// The description of the error parsing `text` throws, or nil if it parses.
    func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return (error as? DatasetFormatError)?.description ?? "unexpected \(error)"
        }
    }

    @Test func valuesAreScaledByTheMaximum() throws {
        let parsed = try parse("0,16,1\n8,4,0\n")
        #expect(parsed.features == [0, 1, 0.5, 0.25])
        #expect(parsed.labels == [1, 0])
        // Several digits, leading zeros.
        let greys = try CSVClassification.parse(Array("255,007,1\n".utf8), name: "toy", featureCount: 2,
                                                classCount: 10, maximumValue: 255)
        #expect(greys.features == [1, Float(7) / 255])
    }

    @Test func runsOfZerosTakeTheFastPathWithoutSwallowingTheLabel() throws {
        // Four features: "0,0,0,0," is a whole sample's features; the label must still be read and checked.
        func parseFour(_ text: String) throws -> Dataset {
            try CSVClassification.parse(Array(text.utf8), name: "toy", featureCount: 4, classCount: 2,
                                        maximumValue: 16)
        }
        let zeros = try parseFour("0,0,0,0,0\n0,0,0,0,1")
        #expect(zeros.features == [Float](repeating: 0, count: 8))
        #expect(zeros.labels == [0, 1])
        #expect(throws: DatasetFormatError.self) { try parseFour("0,0,0,0,\n") }
        #expect(throws: DatasetFormatError.self) { try parseFour("0,0,0,0\n") }
        #expect(throws: DatasetFormatError.self) { try parseFour("0,0,0,0,0,0\n") }
        #expect(throws: DatasetFormatError.self) { try parseFour("0,0,0,0,2\n") }
    }

    /// Random lines, mostly zeros in runs (as in images), parsed by the byte parser and by a naive String-based
    /// reference, must agree exactly.
    @Test func agreesWithANaiveReferenceOnRandomImages() throws {
        var generator = SeededGenerator(seed: 7)
        let featureCount = 37
        var text = ""
        for _ in 0..<200 {
            let fields = (0..<featureCount).map { _ in generator.next() % 3 == 0 ? generator.next() % 256 : 0 }
            text += fields.map(String.init).joined(separator: ",") + ",\(generator.next() % 10)"
            text += generator.next() % 2 == 0 ? "\n" : "\r\n"
        }
        let parsed = try CSVClassification.parse(Array(text.utf8), name: "random", featureCount: featureCount,
                                                 classCount: 10, maximumValue: 255)
        let rows = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map { Int($0)! } }
        #expect(parsed.labels == rows.map { Int32($0[featureCount]) })
        #expect(parsed.features == rows.flatMap { $0.prefix(featureCount).map { Float($0) / 255 } })
    }

    @Test func lineEndsAreLFOrCRLFAndTheLastMayBeMissing() throws {
        let expected = try parse("0,1,0\n2,3,1\n")
        #expect(try parse("0,1,0\r\n2,3,1\r\n") == expected)
        #expect(try parse("0,1,0\n2,3,1") == expected)
        #expect(try parse("0,1,0\r\n2,3,1\r") == expected)
        #expect(try parse("0,1,0\n\n\r\n2,3,1\n\n") == expected)  // empty lines are skipped
    }

    @Test func errorsNameTheLine() {
        #expect(failure("") == "toy: no samples")
        #expect(failure("\n\r\n") == "toy: no samples")
        #expect(failure("0,1,0\n1,x,1\n") == "toy: line 2, field 2: 'x' is not a whole number in 0...16")
        #expect(failure("0,1,0\n\n1,2\n") == "toy: line 3 has 2 fields, expected 3")  // empty lines still count
        #expect(failure("0,1,0,1\n") == "toy: line 1 has 4 fields, expected 3")
        #expect(failure("0,\n") == "toy: line 1 has 2 fields, expected 3")
        #expect(failure("0,1,7\n") == "toy: line 1: label '7' is not a class in 0..<2")
        #expect(failure("0,1,\n") == "toy: line 1: label '' is not a class in 0..<2")
        #expect(failure("0,17,1\n") == "toy: line 1, field 2: '17' is not a whole number in 0...16")
        #expect(failure("0,99999999999999999999,1\n")
                == "toy: line 1, field 2: '99999999999999999999' is not a whole number in 0...16")
        #expect(failure("-1,0,1\n") == "toy: line 1, field 1: '-1' is not a whole number in 0...16")
        #expect(failure("0.5,0,1\n") == "toy: line 1, field 1: '0.5' is not a whole number in 0...16")
        #expect(failure("0, 1,1\n") == "toy: line 1, field 2: ' 1' is not a whole number in 0...16")
        #expect(failure("0,,1\n") == "toy: line 1, field 2: '' is not a whole number in 0...16")
        #expect(failure("0,1\r0,1\n") == "toy: line 1, field 2: '1\\r0' is not a whole number in 0...16")
        // A long bad field is shortened to keep the message on one short line.
        #expect(failure("0," + String(repeating: "a", count: 100) + ",1")
                == "toy: line 1, field 2: '" + String(repeating: "a", count: 24) + "…' is not a whole number in 0...16")
    }
}
