// The data sets compiled into tracker, decoded on demand.
import Foundation
import TrackerEngine

/// A data set tracker ships inside its binary.
public struct BundledDataset: Sendable {
    /// The name used on the command line and in `datasets.name`.
    public let name: String
    /// Where the data comes from, with attribution (also in `Datasets/<name>/README.md`).
    public let source: String
    let path: String
    /// The shape of one sample, e.g. 1×8×8 for digits, 1×28×28 for MNIST.
    public let sampleShape: Shape
    /// Held-out samples when a run does not say (the probe set is taken from them).
    public let defaultTestSamples: Int
    let decode: @Sendable ([UInt8], String) throws -> Dataset

    /// The 1797 8×8 handwritten digits of the UCI ML repository (test set of "Optical Recognition of
    /// Handwritten Digits", E. Alpaydin and C. Kaynak, 1998), as shipped in scikit-learn's
    /// `sklearn/datasets/data/digits.csv.gz`: 64 pixel counts in 0...16 and the digit, per line.
    /// Features are scaled to [0, 1] by dividing by 16.
    public static let digits = BundledDataset(
        name: "digits",
        source: "UCI ML Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, 1998), test set of 1797 8x8 "
            + "images, as shipped in scikit-learn (sklearn/datasets/data/digits.csv.gz); CC BY 4.0",
        path: "Datasets/digits/digits.csv.gz",
        sampleShape: Shape([1, 8, 8]),
        defaultTestSamples: 360,
        decode: { bytes, name in
            try CSVClassification.parse(Gzip.inflate(bytes), name: name, featureCount: 64, classCount: 10, scale: 1.0 / 16)
        })

    public static let all: [BundledDataset] = [.digits]

    /// The bundled data set called `name`, or nil.
    public static func named(_ name: String) -> BundledDataset? { all.first { $0.name == name } }

    /// Decodes the data set from the bytes compiled into the binary.
    public func load() throws -> Dataset {
        guard let base64 = EmbeddedFiles.base64ByPath[path], let bytes = Data(base64Encoded: base64) else {
            preconditionFailure("\(path) is not embedded in this binary")  // a build defect
        }
        let flat = try decode([UInt8](bytes), name)
        return try Dataset(name: name, sampleShape: sampleShape, classCount: flat.classCount, features: flat.features,
                           labels: flat.labels)
    }
}

/// Errors in a data file's content.
public struct DatasetFormatError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

enum CSVClassification {
    /// Parses lines of `featureCount` numbers followed by an integer class label, separated by commas.
    ///
    /// - Throws: ``DatasetFormatError`` naming the line for a wrong field count, a non-number, or a label
    ///   outside `0..<classCount`.
    static func parse(_ bytes: [UInt8], name: String, featureCount: Int, classCount: Int, scale: Float) throws -> Dataset {
        var features: [Float] = []
        var labels: [Int32] = []
        let text = String(decoding: bytes, as: UTF8.self)
        var lineNumber = 0
        for line in text.split(whereSeparator: \.isNewline) {
            lineNumber += 1
            let fields = line.split(separator: ",")
            guard fields.count == featureCount + 1 else {
                throw DatasetFormatError(description: "\(name): line \(lineNumber) has \(fields.count) fields, "
                                         + "expected \(featureCount + 1)")
            }
            for field in fields.dropLast() {
                guard let value = Float(field.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw DatasetFormatError(description: "\(name): line \(lineNumber): '\(field)' is not a number")
                }
                features.append(value * scale)
            }
            guard let label = Int32(fields[featureCount].trimmingCharacters(in: .whitespaces)),
                  (0..<Int32(classCount)).contains(label) else {
                throw DatasetFormatError(description: "\(name): line \(lineNumber): label '\(fields[featureCount])' "
                                         + "is not a class in 0..<\(classCount)")
            }
            labels.append(label)
        }
        return try Dataset(name: name, featureCount: featureCount, classCount: classCount, features: features,
                           labels: labels)
    }
}
