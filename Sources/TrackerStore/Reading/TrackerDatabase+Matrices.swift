// Reading the correlation matrices `tracker run --store-matrices` keeps.
import Foundation
import GRDB

/// A stored correlation matrix: the strict upper triangle of R for one probe point at one step.
public struct StoredCorrelationMatrix: Sendable, Equatable {
    public var runID: Int64
    public var layerName: String
    public var reduction: String
    public var step: Int
    public var units: Int
    /// units · (units − 1)/2 values, row by row: (0,1), (0,2), ..., (0,D−1), (1,2), ...; NaN for a pair with a dead
    /// or non-finite unit.
    public var upperTriangle: [Float]
    /// Bytes the matrix takes in the store (4 per value).
    public var storedBytes: Int { upperTriangle.count * 4 }

    /// The full symmetric (units, units) matrix, row-major: the diagonal is 1 for a unit with at least one defined
    /// pair and NaN for a unit without (a dead or non-finite unit; a single unit has no pair and reads 1).
    public func fullMatrix() -> [Float] {
        let d = units
        var matrix = [Float](repeating: .nan, count: d * d)
        var hasPair = [Bool](repeating: d == 1, count: d)
        var index = 0
        for i in 0..<d {
            for j in (i + 1)..<d {
                let r = upperTriangle[index]
                matrix[i * d + j] = r
                matrix[j * d + i] = r
                if !r.isNaN {
                    hasPair[i] = true
                    hasPair[j] = true
                }
                index += 1
            }
        }
        for i in 0..<d where hasPair[i] { matrix[i * d + i] = 1 }
        return matrix
    }
}

extension TrackerDatabase {
    /// The correlation matrix of `layerName` (and `reduction`, when the layer has several) at `step`, or at the last
    /// step with a stored matrix when `step` is nil.
    ///
    /// - Throws: ``StoreError/noStoredMatrix(run:layer:step:available:)`` when none is stored there (with the steps that
    ///   have one), ``StoreError/sqlite(message:sql:)`` for a layer or reduction the run does not probe.
    public func correlationMatrix(runID: Int64, layerName: String, reduction: String? = nil,
                                  step: Int? = nil) throws -> StoredCorrelationMatrix {
        try read { db in
            let reductions = try String.fetchAll(db, sql: """
                SELECT DISTINCT s.reduction FROM snapshots s JOIN runs r ON r.id = s.run_id
                JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = s.layer_index
                WHERE s.run_id = ? AND l.name = ? ORDER BY s.reduction
                """, arguments: [runID, layerName])
            guard !reductions.isEmpty else {
                throw StoreError.sqlite(message: "run \(runID) has no snapshots of a layer named '\(layerName)'", sql: nil)
            }
            let chosen: String
            if let reduction {
                guard reductions.contains(reduction) else {
                    throw StoreError.sqlite(message: "\(layerName) of run \(runID) has no '\(reduction)' series (it has "
                                            + reductions.joined(separator: ", ") + ")", sql: nil)
                }
                chosen = reduction
            } else if reductions.count == 1 {
                chosen = reductions[0]
            } else {
                throw StoreError.sqlite(message: "\(layerName) of run \(runID) has several series ("
                                        + reductions.joined(separator: ", ") + "): name one with --reduction", sql: nil)
            }
            let layerFilter = """
                FROM correlation_matrices m JOIN runs r ON r.id = m.run_id
                JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = m.layer_index
                WHERE m.run_id = ? AND l.name = ? AND m.reduction = ?
                """
            let available = try Int.fetchAll(db, sql: "SELECT m.step \(layerFilter) ORDER BY m.step",
                                             arguments: [runID, layerName, chosen])
            guard let wanted = step ?? available.last, available.contains(wanted) else {
                throw StoreError.noStoredMatrix(run: runID, layer: layerName, step: step, available: available)
            }
            let row = try Row.fetchOne(db, sql: "SELECT m.units, m.upper_triangle \(layerFilter) AND m.step = ?",
                                       arguments: [runID, layerName, chosen, wanted])!
            let units: Int = row[0]
            let bytes: Data = row[1]
            let values: [Float] = bytes.withUnsafeBytes { raw in
                (0..<(bytes.count / 4)).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
                }
            }
            return StoredCorrelationMatrix(runID: runID, layerName: layerName, reduction: chosen, step: wanted,
                                           units: units, upperTriangle: values)
        }
    }
}
