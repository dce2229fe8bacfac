// Users' CSV files: numbers, headers, label columns, separators, gzip, shapes, and each malformed case.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport
@testable import TrackerDatasets

@Suite struct CSVFileTests {
    /// Loads `text` written to `name` in a fresh folder, with the given options; the folder is removed after.
    func load(_ text: String, name: String = "data.csv", gzip: Bool = false,
              _ options: DataFileOptions = DataFileOptions()) throws -> LoadedData {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try DataFileWriting.write(text, to: folder.path(name), gzip: gzip)
        return try DataSource.load(folder.path(name), options: options)
    }

    /// The error loading `text` gives, with the folder's path replaced by "DIR".
    func failure(_ text: String, name: String = "data.csv", _ options: DataFileOptions = DataFileOptions()) -> String {
        guard let folder = try? TemporaryFolder() else { return "no folder" }
        defer { folder.cleanup() }
        return TrackerDatasetsTests.failure {
            try DataFileWriting.write(text, to: folder.path(name))
            _ = try DataSource.load(folder.path(name), options: options)
        }.replacingOccurrences(of: folder.url.path, with: "DIR")
    }

    @Test func numbersAreReadAsWrittenWithTheLabelLast() throws {
        let loaded = try load("0.5,-1.25e-1,3\n+2, 7 ,0\r\n\n\"1e3\",0.1,1\n")
        #expect(loaded.name == "csv:data.csv")
        #expect(loaded.samples.sampleShape == Shape([2]) && loaded.samples.classCount == 4)
        #expect(loaded.samples.features == [0.5, -0.125, 2, 7, 1000, Float("0.1")!])
        #expect(loaded.samples.labels == [3, 0, 1])
        #expect(loaded.heldOut == nil && loaded.defaultTestSamples == 1)
        #expect(loaded.source == "CSV file data.csv (labels: column last); values as written")
    }

    /// The fast integer path and strtof agree with Swift's correctly rounded Float(String) on awkward values.
    @Test func numbersRoundLikeSwiftsParser() throws {
        let texts = ["16777217", "-16777219", "123456789012345678", "0.1", "3.4028235e38", "1.17549435e-38", "-0",
                     "2.5e-3", "0.333333333333333333333", ".5", "5.", "1E2"]
        let loaded = try load(texts.enumerated().map { "\($1),\($0 % 2)" }.joined(separator: "\n"))
        #expect(loaded.samples.features == texts.map { Float($0)! })
    }

    @Test func headersAndLabelColumns() throws {
        let text = "label,a,b\n1,0.5,2\n0,1,3\n"
        let first = try load(text, DataFileOptions(labelColumn: "first"))
        #expect(first.samples.labels == [1, 0] && first.samples.features == [0.5, 2, 1, 3])
        let named = try load(text, DataFileOptions(labelColumn: "label"))
        #expect(named.samples.labels == [1, 0] && named.samples.features == first.samples.features)
        let numbered = try load("a,b,c\n7,1,9\n", DataFileOptions(labelColumn: "2", header: .yes))
        #expect(numbered.samples.labels == [1] && numbered.samples.features == [7, 9])
        // A numeric first line is data under auto and no, and a header under yes.
        #expect(try load("1,2,0\n3,4,1\n").samples.count == 2)
        #expect(try load("1,2,0\n3,4,1\n", DataFileOptions(header: .yes)).samples.labels == [1])
        #expect(failure("x,y,z\n1,2,0\n", DataFileOptions(header: .no))
                == "DIR/data.csv: line 1, column 1: 'x' is not a number")
    }

    @Test func tabsSemicolonsAndGzip() throws {
        #expect(try load("1\t2\t0\n", name: "data.tsv").samples.features == [1, 2])
        #expect(try load("1;2;0\n3;4;1", name: "data.txt").samples.features == [1, 2, 3, 4])
        let plain = try load("0.25,1,0\n2,3,1\n")
        let inflated = try load("0.25,1,0\n2,3,1\n", name: "data.csv.gz", gzip: true)
        #expect(inflated.samples.features == plain.samples.features && inflated.samples.labels == plain.samples.labels)
    }

    /// Lines longer than a chunk, and lines cut by chunk boundaries anywhere, parse the same.
    @Test func linesAcrossChunks() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let rows = (0..<40).map { row in (0..<30).map { String(format: "%.3f", Double(row * 30 + $0) / 7) } + ["\(row % 3)"] }
        try DataFileWriting.write(rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n"), to: folder.path("a.csv"))
        let expected = rows.flatMap { $0.dropLast().map { Float($0)! } }
        for chunkSize in [7, 100, 1000, ByteChunks.chunkSize] {
            let read = try CSVFile(path: folder.path("a.csv"), labelColumn: .last, header: .auto).read(chunkSize: chunkSize)
            #expect(read.samples.features == expected && read.labels == rows.map { Int32($0.last!)! }, "chunk \(chunkSize)")
        }
    }

    @Test func aShapeMakesRowsImagesOrSequences() throws {
        let text = "1,2,3,4,0\n5,6,7,8,1\n"
        #expect(try load(text, DataFileOptions(sampleShape: "1x2x2")).samples.sampleShape == Shape([1, 2, 2]))
        #expect(try load(text, DataFileOptions(sampleShape: "2×2")).samples.sampleShape == Shape([2, 2]))
        #expect(failure(text, DataFileOptions(sampleShape: "1x3x3"))
                == "shape 1x3x3 holds 9 values, but the samples of DIR/data.csv have 4")
        #expect(failure(text, DataFileOptions(sampleShape: "big"))
                == "shape 'big' is not 1 to 3 sizes ≥ 1 joined by x (e.g. 1x28x28)")
        #expect(failingSetting { _ = try load(text, DataFileOptions(sampleShape: "1x3x3")) } == "shape")
    }

    @Test func malformedFilesNameTheFileAndWhere() throws {
        #expect(failure("") == "DIR/data.csv: no samples (the file is empty)")
        #expect(failure("\n\r\n", name: "blank.csv") == "DIR/blank.csv: no samples (the file is empty)")
        #expect(failure("a,b,label\n") == "DIR/data.csv: no samples (only a header line)")
        #expect(failure("1,2,0\n3,x4,1\n") == "DIR/data.csv: line 2, column 2: 'x4' is not a number")
        #expect(failure("a,b,c\n1,2,0\n\n3,,1\n") == "DIR/data.csv: line 4, column 2: '' is not a number")
        #expect(failure("1,nan,0\n") == "DIR/data.csv: line 1, column 2: 'nan' is not a finite number")
        #expect(failure("1,2,0\n3,4\n") == "DIR/data.csv: line 2 has 2 fields, expected 3")
        #expect(failure("1,2,-1\n") == "DIR/data.csv: line 1, column 3: label '-1' is negative")
        #expect(failure("1,2,0.5\n") == "DIR/data.csv: line 1, column 3: label '0.5' is not a whole number")
        #expect(failure("1,2,0\n1,2,cat\n") == "DIR/data.csv: line 2, column 3: label 'cat' is not a number")
        #expect(failure("1,2,70000\n")
                == "DIR/data.csv: label 70000 of sample 1 is above 65535, the most classes tracker trains")
        #expect(failure("12\n34\n") == "DIR/data.csv: line 1 has 1 field; a sample needs a label and at least one "
                + "feature (fields are separated by commas, tabs or semicolons)")
        #expect(failure("a,b\n1,0\n", DataFileOptions(labelColumn: "3"))
                == "DIR/data.csv: label column 3 is not one of its 2 columns")
        #expect(failure("a,b\n1,0\n", DataFileOptions(labelColumn: "species"))
                == "DIR/data.csv: no column named 'species' (columns: a, b)")
        #expect(failure("1,0\n", DataFileOptions(labelColumn: "species"))
                == "DIR/data.csv: label column 'species' needs a header line, and the first line is numbers")
        #expect(failingSetting { _ = try load("a,b\n1,0\n", DataFileOptions(labelColumn: "z")) } == "label_column")
    }
}
