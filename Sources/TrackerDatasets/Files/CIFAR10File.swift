// CIFAR-10's binary batches: records of one label byte and a 3×32×32 image, plain or gzip.
import TrackerEngine

/// The binary version of CIFAR-10 (A. Krizhevsky, 2009): each record is the label (0...9) and 3072 bytes, the red,
/// green and blue 32×32 planes row by row, which is C×H×W order as it stands. Grey levels are scaled by 1/255.
enum CIFAR10File {
    static let sampleShape = Shape([3, 32, 32])
    static let classCount = 10
    static let recordWidth = 1 + 3 * 32 * 32

    /// The training batches and the test batch, as the archive `cifar-10-binary.tar.gz` unpacks them.
    static let trainingBatches = (1...5).map { "data_batch_\($0).bin" }
    static let testBatch = "test_batch.bin"

    /// Reads one batch file.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path`: an empty file, a size that is not a whole number of 3073-byte
    ///   records (truncated), or a label outside 0...9 (naming the record).
    static func read(_ path: String,
                     chunkSize: Int = ByteChunks.chunkSize) throws(DatasetFormatError) -> (images: FeatureArray, labels: [Int32]) {
        var features: [Float] = []
        var labels: [Int32] = []
        try read(path, appendingTo: &features, labels: &labels, chunkSize: chunkSize)
        return (FeatureArray(sampleShape: sampleShape, count: labels.count, features: features), labels)
    }

    /// Reads one batch file, appending its images and labels (so the batches of a set fill one array each).
    ///
    /// - Throws: ``DatasetFormatError`` as ``read(_:chunkSize:)``.
    static func read(_ path: String, appendingTo features: inout [Float], labels: inout [Int32],
                     chunkSize: Int = ByteChunks.chunkSize) throws(DatasetFormatError) {
        var stream = RecordStream(minimumHeader: 0)
        let pixels = recordWidth - 1
        do {
            try ByteChunks.forEach(in: path, chunkSize: chunkSize) { chunk in
                try stream.consume(chunk, parseHeader: { _ in .complete(RecordLayout(width: recordWidth, count: nil)) },
                                   records: { bytes, first, count in
                    for record in 0..<count {
                        let label = bytes[record * recordWidth]
                        guard Int(label) < classCount else {
                            throw DatasetFormatError(description: "\(path): record \(first + record + 1) has label "
                                                     + "\(label), expected 0...9")
                        }
                        labels.append(Int32(label))
                        let start = record * recordWidth + 1
                        ElementConversion.appendFeatures(UnsafeRawBufferPointer(rebasing: bytes[start..<start + pixels]),
                                                         type: .uint8, to: &features)
                    }
                })
            }
        } catch {
            throw error as? DatasetFormatError ?? DatasetFormatError(description: "\(path): \(error)")
        }
        if stream.partialBytes > 0 {
            let size = stream.recordCount * recordWidth + stream.partialBytes
            throw DatasetFormatError(description: "\(path): truncated: \(size) bytes is not a whole number of "
                                     + "\(recordWidth)-byte records (label byte and 3×32×32 image)")
        }
        guard stream.recordCount > 0 else { throw DatasetFormatError(description: "\(path): empty file") }
    }
}
