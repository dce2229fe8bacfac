// The shuffled-labels control: the same samples with their labels permuted, so a network can only memorise.
extension Dataset {
    /// The same features with the labels permuted by a seeded Fisher–Yates shuffle (``SeededGenerator`` with
    /// `seed`): each class keeps its count, and no label depends on its sample's features any more (Zhang et al.,
    /// "Understanding deep learning requires rethinking generalization", 2017). Same seed, same permutation.
    /// Name: "NAME-shuffled-labels".
    public func shufflingLabels(seed: UInt64) -> Dataset {
        var shuffled = labels
        var generator = SeededGenerator(seed: seed)
        generator.shuffle(&shuffled)
        do {
            return try Dataset(name: "\(name)-shuffled-labels", sampleShape: sampleShape, classCount: classCount,
                               features: features, labels: shuffled)
        } catch {
            preconditionFailure("a permutation of valid labels is valid: \(error)")
        }
    }
}
