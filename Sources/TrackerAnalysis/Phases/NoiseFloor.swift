// NoiseFloor: the level a statistic shows when there is no signal, for PhaseDetector's `noiseFloor`.

/// Levels below which a statistic is indistinguishable from sampling noise.
public enum NoiseFloor {
    /// Expected |r| between two independent units measured on N probe samples: √(2 / (π N)).
    ///
    /// - Formula: for independent units √N · r → Normal(0, 1) as N grows, and E|Z| = √(2/π) for a standard
    ///   normal Z, so E|r| ≈ √(2/π) / √N. This is the large-N value; the exact one for Gaussian units,
    ///   Γ((N − 1)/2) / (√π · Γ(N/2)), is larger by about 0.75/N relative (0.3 % at N = 256). Mean |r| over
    ///   pairs has the same expectation, so a layer's mean |r| at or below this is what uncorrelated units
    ///   would show.
    /// - Returns: dimensionless (correlation units); e.g. N = 256 → 0.0499.
    /// - Precondition: probeSamples ≥ 1.
    public static func meanAbsR(probeSamples: Int) -> Double {
        precondition(probeSamples >= 1, "the noise floor needs at least one probe sample")
        return (2 / (Double.pi * Double(probeSamples))).squareRoot()
    }
}
