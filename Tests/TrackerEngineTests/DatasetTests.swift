// Dataset: validation errors, subsets, and the seeded train/test/probe split.
import Testing
import TrackerEngine

@Suite("Dataset")
struct DatasetTests {
    /// 100 samples whose single feature is the sample's index, so splits can be traced back.
    private func indexed(count: Int = 100) throws -> Dataset {
        try Dataset(name: "indexed", featureCount: 1, classCount: 2, features: (0..<count).map(Float.init),
                    labels: (0..<count).map { Int32($0 % 2) })
    }

    @Test("valid data is accepted")
    func valid() throws {
        let data = try indexed()
        #expect(data.count == 100)
        #expect(data.featureCount == 1 && data.classCount == 2 && data.name == "indexed")
        let empty = try Dataset(name: "empty", featureCount: 3, classCount: 2, features: [], labels: [])
        #expect(empty.count == 0)
    }

    @Test("invalid data is rejected with context")
    func invalid() {
        func message(_ features: [Float], _ labels: [Int32], featureCount: Int = 2, classCount: Int = 3) -> String? {
            do {
                _ = try Dataset(name: "bad", featureCount: featureCount, classCount: classCount,
                                features: features, labels: labels)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message([1, 2, 3], [0, 1]) == "dataset 'bad': 3 feature values, expected 2 samples × 2 features = 4")
        #expect(message([1, 2, 3, 4], [0, 3]) == "dataset 'bad': label 3 of sample 1 is outside 0..<3")
        #expect(message([1, 2, 3, 4], [-1, 0])?.contains("label -1 of sample 0") == true)
        #expect(message([1, 2, 3, .nan], [0, 0]) == "dataset 'bad': feature 1 of sample 1 is not finite (nan)")
        #expect(message([1, .infinity, 3, 4], [0, 0])?.contains("feature 1 of sample 0 is not finite") == true)
        #expect(message([], [], featureCount: 0)?.contains("feature count must be at least 1") == true)
        #expect(message([], [], classCount: 0)?.contains("class count must be at least 1") == true)
    }

    @Test("subset keeps the requested rows in order")
    func subset() throws {
        let data = try gaussianBlobs(samplesPerClass: 2)
        let picked = data.subset([4, 0, 4], name: "picked")
        #expect(picked.name == "picked" && picked.count == 3)
        #expect(picked.labels == [data.labels[4], data.labels[0], data.labels[4]])
        #expect(Array(picked.features[0..<4]) == row(data, 4))
        #expect(Array(picked.features[4..<8]) == row(data, 0))
    }

    @Test("split sizes, disjointness, probe ⊂ test")
    func split() throws {
        let data = try indexed()
        let split = data.split(testCount: 30, probeCount: 10, seed: 5)
        #expect(split.train.count == 70 && split.test.count == 30 && split.probe.count == 10)
        #expect(split.train.name == "indexed-train" && split.test.name == "indexed-test" && split.probe.name == "indexed-probe")
        let train = Set(split.train.features)
        let test = Set(split.test.features)
        #expect(train.isDisjoint(with: test))
        #expect(train.union(test) == Set(data.features))
        #expect(split.probe.features == Array(split.test.features[..<10]))
        #expect(split.probe.labels == Array(split.test.labels[..<10]))
        // Labels travel with their features.
        #expect(zip(split.train.features, split.train.labels).allSatisfy { Int32(Int($0) % 2) == $1 })
        // Shuffled, not the original order.
        #expect(split.train.features != Array(data.features[..<70]))
    }

    @Test("split is determined by the seed")
    func splitDeterminism() throws {
        let data = try indexed()
        let first = data.split(testCount: 20, probeCount: 5, seed: 8)
        let again = data.split(testCount: 20, probeCount: 5, seed: 8)
        let other = data.split(testCount: 20, probeCount: 5, seed: 9)
        #expect(first.train.features == again.train.features && first.test.features == again.test.features)
        #expect(first.probe.features == again.probe.features)
        #expect(first.test.features != other.test.features)
    }

    @Test("probe and test counts are clamped")
    func clamping() throws {
        let data = try indexed(count: 10)
        let split = data.split(testCount: 4, probeCount: 50, seed: 1)
        #expect(split.probe.count == 4 && split.probe.features == split.test.features)
        let all = data.split(testCount: 50, probeCount: 2, seed: 1)
        #expect(all.train.count == 0 && all.test.count == 10 && all.probe.count == 2)
        let none = data.split(testCount: -3, probeCount: 2, seed: 1)
        #expect(none.train.count == 10 && none.test.count == 0 && none.probe.count == 0)
    }
}
