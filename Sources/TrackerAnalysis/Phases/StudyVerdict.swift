// StudyVerdict: whether the seeds of one layer show the study's rise then decay, and how large it is over the noise floor.

/// How far one probed layer of one trained configuration follows the study's claim: its mean |r| rises from the
/// start, peaks early and decays again.
///
/// Raw values are what `tracker reproduce` prints.
public enum ClaimVerdict: String, Codable, CaseIterable, Sendable {
    /// At least ``StudyVerdict/followsFraction`` of the seeds are ``PhaseClass/riseThenDecay``.
    case follows
    /// At least one seed, but fewer than that fraction, is ``PhaseClass/riseThenDecay``.
    case partly
    /// No seed is ``PhaseClass/riseThenDecay``, and some seed has a class that could have been.
    case doesNotFollow = "does not follow"
    /// No seed could be classified: every one is ``PhaseClass/insufficient`` or ``PhaseClass/nonFinite`` (or
    /// there are none).
    case undetermined
}

/// The seeds of one probed layer of one configuration, judged against the claim.
public struct LayerVerdict: Codable, Sendable, Equatable {
    /// Class counts, median peak step and its percentile-bootstrap 95 % CI (``PhaseDetector/summarizeSeeds``).
    public let seeds: SeedSummary
    /// Seeds whose class is ``PhaseClass/riseThenDecay``: k of k/N.
    public let riseThenDecayCount: Int
    /// The noise floor F the detector was given (the median over the seeds that have one; they share it when they
    /// share the probe set's size), in the statistic's units; nil when no seed has one.
    public let noiseFloor: Double?
    /// Median over the seeds with a peak of (peak − start) / F: the rise in noise floors; nil without a peak or F.
    public let riseOverFloor: Double?
    /// Median over the seeds with a peak of (peak − final) / F: the decay in noise floors; nil without a peak or F.
    public let decayOverFloor: Double?
    /// Median σ̂ (the detector's robust noise estimate of the residuals) over the seeds that have one.
    public let noiseSigma: Double?
    public let verdict: ClaimVerdict
}

/// The verdict rule of `tracker reproduce` (see ``judge(_:resamples:seed:)``).
public enum StudyVerdict {
    /// The fraction of seeds that must be rise-then-decay for ``ClaimVerdict/follows``: 0.8 (2 of 2, 3 of 3,
    /// 4 of 5, 8 of 10).
    public static let followsFraction = 0.8

    /// Judges the phase results of one layer, one per seed.
    ///
    /// - Formula: with N results and k of them ``PhaseClass/riseThenDecay``: ``ClaimVerdict/follows`` when
    ///   k ≥ ⌈0.8 · N⌉, ``ClaimVerdict/partly`` when 1 ≤ k < ⌈0.8 · N⌉, ``ClaimVerdict/doesNotFollow`` when k = 0,
    ///   and ``ClaimVerdict/undetermined`` when no result has a class other than insufficient or non_finite.
    ///   Seeds that are insufficient or diverged count in N (they did not show the phase). The rise and decay of a
    ///   seed with a peak are (peak − start) / F and (peak − final) / F, F the noise floor the detector was given
    ///   (for mean |r| on P probe samples, √(2/(πP)): the mean |r| of independent units, 0.0499 for P = 256);
    ///   their medians over the seeds with a peak are reported (the mean of the two middle ones for an even
    ///   count). Start, peak and final are the detector's smoothed values.
    /// - Edge cases: no results → undetermined, every count 0, every value nil; no seed with a peak → rise, decay
    ///   and the peak-step CI nil; one seed with a peak → its rise and decay, no CI.
    /// - Parameters: `resamples` and `seed` go to ``PhaseDetector/summarizeSeeds(_:resamples:seed:)``.
    public static func judge(_ results: [PhaseResult], resamples: Int = 2000,
                             seed: UInt64 = PhaseDetector.defaultBootstrapSeed) -> LayerVerdict {
        let summary = PhaseDetector.summarizeSeeds(results, resamples: resamples, seed: seed)
        let peaked = results.filter { $0.phaseClass == .riseThenDecay }
        let floor = median(results.compactMap(\.noiseFloor).filter { $0.isFinite && $0 > 0 })
        func overFloor(_ amount: (PhaseResult) -> Double?) -> Double? {
            guard let floor else { return nil }
            return median(peaked.compactMap(amount).map { $0 / floor })
        }
        let rise = overFloor { result in
            guard let peak = result.peakValue, let start = result.startValue else { return nil }
            return peak - start
        }
        let decay = overFloor { result in
            guard let peak = result.peakValue, let final = result.finalValue else { return nil }
            return peak - final
        }
        let determined = results.filter { $0.phaseClass != .insufficient && $0.phaseClass != .nonFinite }.count
        return LayerVerdict(seeds: summary, riseThenDecayCount: peaked.count, noiseFloor: floor,
                            riseOverFloor: rise, decayOverFloor: decay,
                            noiseSigma: median(results.compactMap(\.noiseSigma)),
                            verdict: verdict(riseThenDecay: peaked.count, determined: determined,
                                             seeds: results.count))
    }

    /// The verdict of k rise-then-decay seeds among `seeds`, `determined` of which have a class other than
    /// insufficient or non_finite (rule in ``judge(_:resamples:seed:)``).
    ///
    /// - Precondition: 0 ≤ riseThenDecay ≤ determined ≤ seeds.
    public static func verdict(riseThenDecay: Int, determined: Int, seeds: Int) -> ClaimVerdict {
        precondition(0 <= riseThenDecay && riseThenDecay <= determined && determined <= seeds,
                     "counts must satisfy 0 ≤ rise_then_decay ≤ determined ≤ seeds")
        if determined == 0 { return .undetermined }
        if riseThenDecay == 0 { return .doesNotFollow }
        return riseThenDecay >= requiredCount(seeds: seeds) ? .follows : .partly
    }

    /// ⌈0.8 · seeds⌉ (computed in integers, so 5 seeds need 4, never 5 by rounding): the rise-then-decay seeds
    /// ``ClaimVerdict/follows`` needs.
    public static func requiredCount(seeds: Int) -> Int { (seeds * 4 + 4) / 5 }

    /// The median (mean of the two middle values for an even count); nil for no values.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return RobustStatistics.medianOfSorted(values.sorted())
    }
}
