// PhaseResult: the phase class and descriptors of one series, and the detector parameters that produced them.

/// The shape of one series, as decided by ``PhaseDetector`` (rules in its documentation).
///
/// Raw values are the strings stored in the database and printed by the CLI.
public enum PhaseClass: String, Codable, CaseIterable, Sendable {
    /// A peak with a rise before it and a decay after it, both at least the threshold τ.
    case riseThenDecay = "rise_then_decay"
    /// No counted decay yet: the series ends at least τ above where it started.
    case rise
    /// The series ends at least τ below where it started, with no counted rise-then-decay peak.
    case decay
    /// None of the above: no counted peak and |final − start| < τ (or the series stays at or below the noise floor).
    case flat
    /// Fewer than ``PhaseDetectorParameters/minimumPoints`` finite values (all missing counts here).
    case insufficient
    /// Some value is NaN or ±infinity: the run diverged. Missing (nil) values are not non-finite.
    case nonFinite = "non_finite"
}

/// The tunable constants of ``PhaseDetector`` (meanings and units in its documentation).
///
/// Codable, so the store can keep the exact parameters beside every result, e.g.
/// `{"minimumAmplitude":0.01,"minimumPoints":8,"minimumWindow":5,"noiseMultiplier":3,"windowFraction":0.1}`.
public struct PhaseDetectorParameters: Codable, Hashable, Sendable {
    /// k: a peak's prominence, a rise and a decay must each reach k · σ̂ (σ̂ the robust noise estimate).
    /// Dimensionless, ≥ 0. Default 3.
    public var noiseMultiplier: Double
    /// δ: the smallest prominence, rise or decay that counts, in the statistic's own units (for mean |r|,
    /// correlation units). ≥ 0. Keeps a noise-free series (σ̂ ≈ 0) from turning 1e-6 wiggles into phases.
    /// Default 0.01.
    public var minimumAmplitude: Double
    /// Savitzky–Golay window as a fraction of the number of finite points: the window is the odd integer
    /// nearest to `windowFraction · n` (ties go up). In (0, 1]. Default 0.1.
    public var windowFraction: Double
    /// The smallest Savitzky–Golay window, in points (rounded up to odd). ≥ 3. Default 5.
    public var minimumWindow: Int
    /// Fewer finite points than this make the series ``PhaseClass/insufficient``. ≥ 3. Default 8.
    public var minimumPoints: Int

    /// The defaults: k = 3, δ = 0.01, window fraction 0.1, minimum window 5, minimum points 8.
    public init(noiseMultiplier: Double = 3, minimumAmplitude: Double = 0.01, windowFraction: Double = 0.1,
                minimumWindow: Int = 5, minimumPoints: Int = 8) {
        self.noiseMultiplier = noiseMultiplier
        self.minimumAmplitude = minimumAmplitude
        self.windowFraction = windowFraction
        self.minimumWindow = minimumWindow
        self.minimumPoints = minimumPoints
    }

    /// Whether every parameter lies in its documented range.
    public var isValid: Bool {
        noiseMultiplier.isFinite && noiseMultiplier >= 0 && minimumAmplitude.isFinite && minimumAmplitude >= 0
            && windowFraction > 0 && windowFraction <= 1 && minimumWindow >= 3 && minimumPoints >= 3
    }
}

/// What ``PhaseDetector/detect(steps:values:parameters:noiseFloor:)`` found in one series.
///
/// Values are in the statistic's units, steps in training steps. The smoothed curve, not the raw values,
/// provides every value below (see ``PhaseDetector``). Fields that do not apply are nil:
/// - ``PhaseClass/insufficient`` and ``PhaseClass/nonFinite``: every measured value is nil (only
///   `pointCount`, `firstNonFiniteStep` for the latter, and the bookkeeping fields are set; `otherPeaks` is 0);
/// - ``PhaseClass/rise``, ``PhaseClass/decay``, ``PhaseClass/flat``: start, final and σ̂ are set, the
///   peak fields (`peakStep`, `peakValue`, `riseAmplitude`, `riseDuration`, `decayFraction`,
///   `halfDecayStep`) are nil;
/// - ``PhaseClass/riseThenDecay``: all set except possibly `halfDecayStep` (nil when the smoothed curve
///   never gets back half-way to the start).
public struct PhaseResult: Codable, Sendable, Equatable {
    /// The series' class.
    public let phaseClass: PhaseClass
    /// Finite values used (nil values and, for ``PhaseClass/nonFinite``, non-finite values excluded).
    public let pointCount: Int
    /// Step of the first NaN or ±infinity; nil unless the class is ``PhaseClass/nonFinite``.
    public let firstNonFiniteStep: Int?
    /// Smoothed value at the first finite sample.
    public let startValue: Double?
    /// Smoothed value at the last finite sample.
    public let finalValue: Double?
    /// Refined peak position as a step, exp(x̂) − 1 with x̂ the parabola vertex in x = ln(1 + step);
    /// fractional, strictly between the first and last sample steps.
    public let peakStep: Double?
    /// Value of that parabola at its vertex (≥ the largest smoothed sample near the peak).
    public let peakValue: Double?
    /// peakValue − startValue (> 0 and ≥ τ when set).
    public let riseAmplitude: Double?
    /// peakStep − (step of the first finite sample), in steps: how long the rise took from the series start.
    public let riseDuration: Double?
    /// (peakValue − finalValue) / (peakValue − startValue): 0 = no decay, 1 = back to the start, > 1 below it.
    public let decayFraction: Double?
    /// Step of the first sample after the peak sample whose smoothed value is ≤ (peakValue + startValue) / 2.
    public let halfDecayStep: Int?
    /// σ̂ = 1.4826 · median |rᵢ − median r| of the residuals rᵢ = raw − smoothed, in the statistic's units.
    public let noiseSigma: Double?
    /// Peaks with prominence ≥ τ other than the reported one (all of them when no peak is reported).
    public let otherPeaks: Int
    /// The noise floor the caller passed, if any.
    public let noiseFloor: Double?
    /// ``PhaseDetector/version`` of the code that produced this result.
    public let detectorVersion: String
    /// The parameters that produced this result.
    public let parameters: PhaseDetectorParameters

    public init(phaseClass: PhaseClass, pointCount: Int, firstNonFiniteStep: Int? = nil, startValue: Double? = nil,
                finalValue: Double? = nil, peakStep: Double? = nil, peakValue: Double? = nil,
                riseAmplitude: Double? = nil, riseDuration: Double? = nil, decayFraction: Double? = nil,
                halfDecayStep: Int? = nil, noiseSigma: Double? = nil, otherPeaks: Int = 0, noiseFloor: Double? = nil,
                detectorVersion: String = PhaseDetector.version, parameters: PhaseDetectorParameters) {
        self.phaseClass = phaseClass
        self.pointCount = pointCount
        self.firstNonFiniteStep = firstNonFiniteStep
        self.startValue = startValue
        self.finalValue = finalValue
        self.peakStep = peakStep
        self.peakValue = peakValue
        self.riseAmplitude = riseAmplitude
        self.riseDuration = riseDuration
        self.decayFraction = decayFraction
        self.halfDecayStep = halfDecayStep
        self.noiseSigma = noiseSigma
        self.otherPeaks = otherPeaks
        self.noiseFloor = noiseFloor
        self.detectorVersion = detectorVersion
        self.parameters = parameters
    }
}
