// Which steps get a correlation snapshot: dense and log-spaced early, where correlation moves fastest, then regular.
import Foundation

/// Snapshot steps: step 0, then `pointsPerDecade` log-spaced steps per decade below `every`, then every `every`
/// steps, and always the last step.
///
/// With `every = 50, pointsPerDecade = 8`: 0, 1, 2, 3, 4, 6, 7, 10, 13, 18, 24, 32, 42, 50, 100, 150, ...
/// Recorded with each run (`runs.snapshot_schedule`) as JSON, so the steps can be recomputed from the file.
public struct SnapshotSchedule: Codable, Sendable, Equatable {
    public var every: Int
    public var pointsPerDecade: Int
    public var totalSteps: Int

    public init(every: Int, pointsPerDecade: Int = 8, totalSteps: Int) {
        precondition(every >= 1 && pointsPerDecade >= 1 && totalSteps >= 0, "invalid snapshot schedule")
        self.every = every
        self.pointsPerDecade = pointsPerDecade
        self.totalSteps = totalSteps
    }

    /// The scheduled steps, ascending and unique, all within `0...totalSteps`.
    public func steps() -> [Int] {
        var steps: Set<Int> = [0, totalSteps]
        var exponent = 0
        while true {
            let step = Int((pow(10, Double(exponent) / Double(pointsPerDecade))).rounded())
            if step >= every || step > totalSteps { break }
            steps.insert(step)
            exponent += 1
        }
        var step = every
        while step <= totalSteps {
            steps.insert(step)
            step += every
        }
        return steps.sorted()
    }

    /// The schedule as stored in `runs.snapshot_schedule`.
    public var json: String {
        "{\"every\":\(every),\"kind\":\"log_then_every\",\"points_per_decade\":\(pointsPerDecade),"
            + "\"total_steps\":\(totalSteps)}"
    }
}
