// The bundled digits data set and the gzip decoding behind the bundled data sets.
import Foundation
import Testing
@testable import TrackerDatasets

@Suite struct DigitsTests {
    @Test func digitsDecodeToTheUCITestSet() throws {
        let digits = try BundledDataset.digits.load()
        #expect(digits.count == 1797)
        #expect(digits.featureCount == 64)
        #expect(digits.classCount == 10)
        #expect(digits.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Every class is present, about 180 each.
        var perClass = [Int](repeating: 0, count: 10)
        for label in digits.labels { perClass[Int(label)] += 1 }
        #expect(perClass.allSatisfy { (170...190).contains($0) })
        // The first image of the file is a 0; its first row is 0,0,5,13,9,1,0,0 (counts of 16).
        #expect(digits.labels[0] == 0)
        #expect(Array(digits.features[0..<8]) == [0, 0, 5, 13, 9, 1, 0, 0].map { Float($0) / 16 })
    }

    @Test func bundledDatasetsAreFoundByName() {
        #expect(BundledDataset.named("digits")?.name == "digits")
        #expect(BundledDataset.named("mnist") == nil)
        #expect(BundledDataset.all.map(\.name) == ["digits", "mnist-5k"])
        #expect(BundledDataset.digits.source.contains("UCI"))
        #expect(BundledDataset.digits.sampleShape.dimensions == [1, 8, 8])
        #expect(BundledDataset.digits.defaultTestSamples == 360)
    }

    @Test func gzipRoundTripsAndRejectsGarbage() throws {
        // "hello\n" compressed by gzip -n.
        let compressed: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
                                   0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00]
        #expect(try Gzip.inflate(compressed) == Array("hello\n".utf8))
        #expect(throws: GzipError.self) { try Gzip.inflate(Array("plain text".utf8)) }
        #expect(throws: GzipError.self) { try Gzip.inflate(Array(compressed.prefix(14))) }
    }

    @Test func gzipOutputGrowsPastAWrongSizeHint() throws {
        // 100000 zero bytes: gzip.compress(b"\0" * 100000, mtime=0) in Python (a run of 96 zero bytes inside).
        let zeros: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1, 0x31, 0x01, 0x00,
                              0x00, 0x00, 0xc2, 0xa0, 0xf5, 0x4f, 0x6d, 0x0d, 0x0f, 0xa0]
            + [UInt8](repeating: 0, count: 96) + [0x80, 0x57, 0x03, 0x7d, 0x95, 0x11, 0xd4, 0xa0, 0x86, 0x01, 0x00]
        // "x": gzip.compress(b"x", mtime=0). Appended as a second member, its trailer's size (1 byte) is the one
        // the size hint reads, while the first member inflates to 100000 bytes; only the first member is read.
        let letter: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x00, 0x00, 0x83, 0x16,
                               0xdc, 0x8c, 0x01, 0x00, 0x00, 0x00]
        #expect(try Gzip.inflate(zeros) == [UInt8](repeating: 0, count: 100_000))
        #expect(try Gzip.inflate(zeros + letter) == [UInt8](repeating: 0, count: 100_000))
        #expect(try Gzip.inflate(letter) == Array("x".utf8))
    }
}
