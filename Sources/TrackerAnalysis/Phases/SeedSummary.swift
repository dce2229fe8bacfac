// SeedSummary: phase results pooled over seeds: class fractions, median peak step and its bootstrap CI.
import TrackerNumerics

/// What several seeds of one configuration agree on.
///
/// Built by ``PhaseDetector/summarizeSeeds(_:resamples:seed:)``. Peak statistics use only the results that
/// report a peak (``PhaseClass/riseThenDecay``); class counts use all of them.
public struct SeedSummary: Codable, Sendable, Equatable {
    /// Results summarised (one per seed).
    public let seedCount: Int
    /// Results in each class; every class is present, with 0 when no seed fell in it.
    public let classCounts: [PhaseClass: Int]
    /// Results that report a peak step.
    public let peakCount: Int
    /// Median of the reported peak steps (mean of the two middle ones for an even count); nil when peakCount == 0.
    public let medianPeakStep: Double?
    /// 2.5th percentile of the bootstrap medians: the lower end of the 95 % CI; nil when peakCount < 2.
    public let peakStepLower: Double?
    /// 97.5th percentile of the bootstrap medians: the upper end of the 95 % CI; nil when peakCount < 2.
    public let peakStepUpper: Double?
    /// Bootstrap resamples drawn.
    public let resamples: Int
    /// Seed of the bootstrap's generator.
    public let bootstrapSeed: UInt64

    public init(seedCount: Int, classCounts: [PhaseClass: Int], peakCount: Int, medianPeakStep: Double?,
                peakStepLower: Double?, peakStepUpper: Double?, resamples: Int, bootstrapSeed: UInt64) {
        self.seedCount = seedCount
        self.classCounts = classCounts
        self.peakCount = peakCount
        self.medianPeakStep = medianPeakStep
        self.peakStepLower = peakStepLower
        self.peakStepUpper = peakStepUpper
        self.resamples = resamples
        self.bootstrapSeed = bootstrapSeed
    }

    /// Fraction of the seeds in each class, in [0, 1], summing to 1; all 0 when there are no seeds.
    public var classFractions: [PhaseClass: Double] {
        classCounts.mapValues { seedCount == 0 ? 0 : Double($0) / Double(seedCount) }
    }

    private enum CodingKeys: String, CodingKey {
        case seedCount, classCounts, peakCount, medianPeakStep, peakStepLower, peakStepUpper, resamples,
             bootstrapSeed
    }

    /// Encodes `classCounts` as a JSON object keyed by the class names ({"rise_then_decay": 3, ...}).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seedCount, forKey: .seedCount)
        try container.encode(Dictionary(uniqueKeysWithValues: classCounts.map { ($0.key.rawValue, $0.value) }),
                             forKey: .classCounts)
        try container.encode(peakCount, forKey: .peakCount)
        try container.encodeIfPresent(medianPeakStep, forKey: .medianPeakStep)
        try container.encodeIfPresent(peakStepLower, forKey: .peakStepLower)
        try container.encodeIfPresent(peakStepUpper, forKey: .peakStepUpper)
        try container.encode(resamples, forKey: .resamples)
        try container.encode(bootstrapSeed, forKey: .bootstrapSeed)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seedCount = try container.decode(Int.self, forKey: .seedCount)
        var counts: [PhaseClass: Int] = [:]
        for (name, count) in try container.decode([String: Int].self, forKey: .classCounts) {
            guard let phaseClass = PhaseClass(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .classCounts, in: container,
                                                       debugDescription: "unknown phase class \(name)")
            }
            counts[phaseClass] = count
        }
        classCounts = counts
        peakCount = try container.decode(Int.self, forKey: .peakCount)
        medianPeakStep = try container.decodeIfPresent(Double.self, forKey: .medianPeakStep)
        peakStepLower = try container.decodeIfPresent(Double.self, forKey: .peakStepLower)
        peakStepUpper = try container.decodeIfPresent(Double.self, forKey: .peakStepUpper)
        resamples = try container.decode(Int.self, forKey: .resamples)
        bootstrapSeed = try container.decode(UInt64.self, forKey: .bootstrapSeed)
    }
}

extension PhaseDetector {
    /// Seed of the bootstrap generator when the caller gives none, so the same results always give the same CI.
    public static let defaultBootstrapSeed: UInt64 = 0x5EED_0F_9BA5E5

    /// Pools the phase results of runs identical but for their seed.
    ///
    /// - Formula: class counts over all results. Over the m results with a peak step: the median; then
    ///   `resamples` bootstrap resamples, each m draws with replacement from the peak steps (sorted first, so the
    ///   CI depends only on the multiset, not on the order of `results`), each reduced to its median; the CI is
    ///   the 2.5th and 97.5th percentiles of those B medians (``RobustStatistics/percentile(sorted:_:)``,
    ///   linear interpolation). Draws come from SplitMix64 seeded with `seed`, with unbiased bounded integers
    ///   (Lemire's multiply-and-reject), so the output is reproducible across platforms and Swift versions.
    /// - Edge cases: no results → counts all 0, no median; m == 0 → median and CI nil; m == 1 → median set,
    ///   CI nil (one seed says nothing about spread). With few seeds the percentile bootstrap of a median is
    ///   coarse (its ends are order statistics of the sample) and somewhat too narrow.
    /// - Cost: O(B · m) (each resample's median found by counting draws, not sorting) and O(B log B) for the
    ///   percentiles; one buffer of m counts and one of B doubles.
    /// - Precondition: resamples ≥ 1.
    public static func summarizeSeeds(_ results: [PhaseResult], resamples: Int = 2000,
                                      seed: UInt64 = defaultBootstrapSeed) -> SeedSummary {
        precondition(resamples >= 1, "the bootstrap needs at least one resample")
        var classCounts = Dictionary(uniqueKeysWithValues: PhaseClass.allCases.map { ($0, 0) })
        for result in results { classCounts[result.phaseClass, default: 0] += 1 }

        let peakSteps = results.compactMap(\.peakStep).sorted()
        let count = peakSteps.count
        var lower: Double?
        var upper: Double?
        if count >= 2 {
            var generator = SplitMix64(seed: seed)
            // A resample sorted is each index of the sorted peak steps repeated as often as it was drawn, so its
            // middle values are found by counting the draws per index: the same medians as sorting, in O(m).
            var draws = [Int](repeating: 0, count: count)
            var medians = [Double](repeating: 0, count: resamples)
            for resample in 0..<resamples {
                for j in 0..<count { draws[j] = 0 }
                for _ in 0..<count { draws[generator.index(below: count)] += 1 }
                medians[resample] = medianOfDraws(draws, of: peakSteps)
            }
            medians.sort()
            lower = RobustStatistics.percentile(sorted: medians, 2.5)
            upper = RobustStatistics.percentile(sorted: medians, 97.5)
        }
        return SeedSummary(seedCount: results.count, classCounts: classCounts, peakCount: count,
                           medianPeakStep: count == 0 ? nil : RobustStatistics.medianOfSorted(peakSteps),
                           peakStepLower: lower, peakStepUpper: upper, resamples: resamples, bootstrapSeed: seed)
    }
}

/// The median of a resample given as draw counts per index of ascending `sorted` (counts sum to sorted.count): the
/// value at the middle position of the resample in sorted order, or the mean of the two middle ones for an even
/// count, exactly as ``RobustStatistics/medianOfSorted(_:)`` of the sorted resample.
func medianOfDraws(_ draws: [Int], of sorted: [Double]) -> Double {
    let count = sorted.count
    let lowerPosition = (count - 1) / 2, upperPosition = count / 2
    var seen = 0
    var lower: Double?
    for index in 0..<count where draws[index] > 0 {
        seen += draws[index]
        if lower == nil && seen > lowerPosition { lower = sorted[index] }
        if seen > upperPosition { return count % 2 == 1 ? sorted[index] : (lower! + sorted[index]) / 2 }
    }
    preconditionFailure("draw counts must sum to the sample size")
}
