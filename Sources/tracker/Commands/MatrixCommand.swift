// `tracker matrix RUN --layer L --step S`: a stored correlation matrix as .npy or CSV.
import ArgumentParser
import Foundation
import TrackerStore

enum MatrixFormat: String, ExpressibleByArgument, CaseIterable {
    case npy, csv
}

struct MatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Write a stored correlation matrix (tracker run --store-matrices) as .npy or CSV.",
        discussion: """
            Writes the full symmetric (units, units) float32 matrix of Pearson r of one probed layer at one step: \
            the diagonal is 1, rows and columns of dead or non-finite units are NaN. The store keeps only the strict \
            upper triangle (see correlation_matrices in docs/schema.md); its size is reported on stderr.

            Examples:
              tracker matrix 3 --layer dense1 --step 500 --output dense1.npy
              tracker matrix 3 --layer lstm1 --reduction last_step --format csv > lstm1.csv
            Then in Python: numpy.load("dense1.npy")
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The run: its integer id or a unique prefix of its uuid.", valueName: "run"))
    var reference: String

    @Option(help: "The probed layer (e.g. dense1, conv2, lstm1).")
    var layer: String

    @Option(help: "The snapshot step (default: the last step with a stored matrix).")
    var step: Int?

    @Option(help: "The series of a layer that has several (time_pooled or last_step for a recurrent layer).")
    var reduction: String?

    @Option(help: "npy (NumPy's binary format) or csv.")
    var format: MatrixFormat = .npy

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let store = try database.openForReading()
        let runID = try store.resolveRun(reference)
        let matrix = try store.correlationMatrix(runID: runID, layerName: layer, reduction: reduction, step: step)
        let full = matrix.fullMatrix()
        let data: Data = switch format {
        case .npy: NumPyOutput.npy(full, rows: matrix.units, columns: matrix.units)
        case .csv: Data(NumPyOutput.csv(full, rows: matrix.units, columns: matrix.units).utf8)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: data) else {
                throw CommandFailure("cannot write \(output)")
            }
        } else {
            if format == .npy && Terminal.standardOutputIsTerminal {
                throw CommandFailure("a .npy file is binary: give --output FILE, redirect standard output, or use --format csv")
            }
            FileHandle.standardOutput.write(data)
        }
        FileHandle.standardError.write(Data((
            "\(matrix.layerName)\(matrix.reduction == "none" ? "" : "[\(matrix.reduction)]") of run \(runID) at step "
            + "\(matrix.step): \(matrix.units) × \(matrix.units), stored as \(matrix.upperTriangle.count) float32 values "
            + "(\(matrix.storedBytes) bytes); wrote \(data.count) bytes of \(format.rawValue)\n").utf8))
    }
}
