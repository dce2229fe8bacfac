// The shuffled-labels control: a seeded permutation of the labels, the features untouched.
import Testing
import TrackerEngine

@Suite("Shuffled labels")
struct ShuffledLabelsTests {
    /// 200 samples of 5 classes whose single feature is the sample's index.
    private func indexed() throws -> Dataset {
        try Dataset(name: "indexed", featureCount: 1, classCount: 5, features: (0..<200).map(Float.init),
                    labels: (0..<200).map { Int32($0 % 5) })
    }

    @Test("labels are permuted by the seed; features, shape and class counts stay")
    func permutation() throws {
        let data = try indexed()
        let shuffled = data.shufflingLabels(seed: 3)
        #expect(shuffled.features == data.features)
        #expect(shuffled.sampleShape == data.sampleShape && shuffled.classCount == 5)
        #expect(shuffled.name == "indexed-shuffled-labels")
        #expect(shuffled.labels.sorted() == data.labels.sorted())
        #expect(shuffled.labels == data.shufflingLabels(seed: 3).labels)
        #expect(shuffled.labels != data.shufflingLabels(seed: 4).labels)
        // Labels no longer follow the features: about 1/5 of the samples keep their class (40 of 200 expected;
        // 4.5 binomial standard deviations either side).
        let kept = zip(shuffled.labels, data.labels).filter { $0 == $1 }.count
        #expect((15...65).contains(kept), "\(kept) labels kept")
    }

    @Test("the permutation is SeededGenerator's Fisher–Yates shuffle of the labels")
    func sameAsTheGeneratorsShuffle() throws {
        let data = try indexed()
        var labels = data.labels
        var generator = SeededGenerator(seed: 11)
        generator.shuffle(&labels)
        #expect(data.shufflingLabels(seed: 11).labels == labels)
    }
}
