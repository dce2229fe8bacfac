// Synthetic data sets: names, parameters, determinism by data seed, and what each kind's samples look like.
import Testing
import TrackerEngine
@testable import TrackerDatasets

@Suite struct SyntheticDatasetTests {
    @Test func namesSpellEveryParameterAndRoundTrip() throws {
        let clusters = try SyntheticDataset.parse("synthetic:clusters,classes=3, seed=9")
        #expect(clusters.name == "synthetic:clusters,samples=2000,classes=3,dimension=16,separation=3,seed=9")
        #expect(try SyntheticDataset.parse(clusters.name) == clusters)
        #expect(try SyntheticDataset.parse("synthetic:sequence,noise=0.25").name
                == "synthetic:sequence,samples=2000,classes=4,steps=20,features=8,noise=0.25,seed=0")
        #expect(try SyntheticDataset.parse("synthetic:teacher").sampleShape == Shape([20]))
        #expect(try SyntheticDataset.parse("synthetic:sequence,steps=12,features=3").sampleShape == Shape([12, 3]))
    }

    @Test func badSpecificationsSayWhatIsWrong() {
        func parseFailure(_ text: String) -> String { failure { _ = try SyntheticDataset.parse(text) } }
        #expect(parseFailure("synthetic:blobs") == "'synthetic:blobs': unknown synthetic data set 'blobs' (kinds: "
                + "clusters, teacher, sequence)")
        #expect(parseFailure("synthetic:clusters,dim=3") == "'synthetic:clusters,dim=3': synthetic:clusters has no "
                + "parameter 'dim' (parameters: samples, classes, dimension, separation, seed)")
        #expect(parseFailure("synthetic:clusters,classes=1")
                == "'synthetic:clusters,classes=1': classes must be a whole number in 2...1000, got '1'")
        #expect(parseFailure("synthetic:teacher,hidden=2.5")
                == "'synthetic:teacher,hidden=2.5': hidden must be a whole number in 1...4096, got '2.5'")
        #expect(parseFailure("synthetic:clusters,seed=-1")
                == "'synthetic:clusters,seed=-1': seed must be a whole number in 0...18446744073709551615, got '-1'")
        #expect(parseFailure("synthetic:clusters,seed=1,seed=2") == "'synthetic:clusters,seed=1,seed=2': seed is given twice")
        #expect(parseFailure("synthetic:clusters,classes") == "'synthetic:clusters,classes': 'classes' is not KEY=VALUE")
        #expect(parseFailure("synthetic:clusters,samples=1000000,dimension=65536").hasSuffix("is too much data (at most "
                + "2^28 values)"))
    }

    @Test(arguments: SyntheticDataset.Kind.allCases)
    func theDataSeedAloneDecidesTheSamples(kind: SyntheticDataset.Kind) throws {
        let name = "synthetic:\(kind.rawValue),samples=200"
        let first = try SyntheticDataset.parse(name + ",seed=4").generate()
        let again = try SyntheticDataset.parse(name + ",seed=4").generate()
        let other = try SyntheticDataset.parse(name + ",seed=5").generate()
        #expect(first.features == again.features && first.labels == again.labels)
        #expect(first.features != other.features)
        #expect(first.count == 200 && first.classCount == 4)
        // Every class is present (clusters and sequence take turns; the teacher's centred logits spread them).
        for label in 0..<4 { #expect(first.labels.filter { $0 == label }.count >= 10, "class \(label) of \(kind)") }
    }

    /// Each class's mean lies at distance `separation` from the origin, up to the noise of 500 samples.
    @Test func clusterMeansLieAtTheSeparation() throws {
        let data = try SyntheticDataset.parse("synthetic:clusters,dimension=8,separation=5,seed=1").generate()
        for label in 0..<4 {
            let rows = (0..<data.count).filter { data.labels[$0] == label }
            let mean = (0..<8).map { feature in rows.reduce(0.0) { $0 + Double(data.features[$1 * 8 + feature]) } / Double(rows.count) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 5) < 0.4, "class \(label): |mean| = \(norm)")
        }
    }

    /// The class pattern is the strongest signal at one step of the first quarter.
    @Test func sequencesCarryTheirClassPatternEarly() throws {
        let synthetic = try SyntheticDataset.parse("synthetic:sequence,samples=40,steps=16,features=6,noise=0.1")
        let data = synthetic.generate()
        let samplesOfClass = (0..<4).map { label in (0..<data.count).filter { data.labels[$0] == Int32(label) } }
        for sample in 0..<data.count {
            let partner = samplesOfClass[Int(data.labels[sample])].first { $0 != sample }!
            // Two samples of one class share a ±1 pattern in the first 4 steps: some pair of early steps agrees.
            let agreement = (0..<4).flatMap { a in (0..<4).map { b in
                (0..<6).reduce(Float(0)) { $0 + data.features[(sample * 16 + a) * 6 + $1] * data.features[(partner * 16 + b) * 6 + $1] }
            } }.max()!
            #expect(agreement > 4, "sample \(sample)")
        }
    }
}
