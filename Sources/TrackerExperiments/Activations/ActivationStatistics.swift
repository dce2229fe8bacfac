// Every statistic of one activation matrix read from a file (`tracker correlate`).
import TrackerAnalysis

public enum ActivationStatistics {
    /// The selected statistics of `matrix`; with a `reference` matrix of the same shape (an earlier snapshot of the
    /// same layer, or another network on the same samples), CKA compares the two: `cka_previous` and `cka_initial`
    /// are both CKA(matrix, reference). Without one, `cka_initial` is 1 by definition and `cka_previous` undefined.
    ///
    /// - Precondition: `labels`, when given, has one entry per row; `reference` has the shape of `matrix`.
    public static func compute(_ matrix: ActivationMatrix, labels: [Int32]? = nil, reference: ActivationMatrix? = nil,
                               selection: StatisticSelection = .all) -> SnapshotStatisticValues {
        let workspace = StatisticsWorkspace(selection: selection)
        if let reference {
            precondition(reference.samples == matrix.samples && reference.units == matrix.units, "shapes differ")
            _ = compute(reference, labels: nil, in: workspace)
        }
        return compute(matrix, labels: labels, in: workspace)
    }

    private static func compute(_ matrix: ActivationMatrix, labels: [Int32]?,
                                in workspace: StatisticsWorkspace) -> SnapshotStatisticValues {
        (labels ?? []).withUnsafeBufferPointer { labelBuffer in
            let labels = labelBuffer.isEmpty ? nil : labelBuffer
            switch matrix.values {
            case .float32(let values):
                return values.withUnsafeBufferPointer {
                    workspace.compute($0, samples: matrix.samples, units: matrix.units, labels: labels)
                }
            case .float64(let values):
                return values.withUnsafeBufferPointer {
                    workspace.compute($0, samples: matrix.samples, units: matrix.units, labels: labels)
                }
            }
        }
    }
}
