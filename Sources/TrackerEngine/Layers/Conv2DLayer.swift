// The 2-D convolution layer: im2col over the whole batch, one GEMM forward, two GEMMs and a col2im backward.
//
// Legend (inside kernels only): B batch, C input channels, H×W input height×width, O output channels,
// K kernel size, S stride, D padding, E×F output height×width, P = E·F output positions per channel,
// R = C·K·K rows of the column matrix (one per weight of an output channel), N = B·P columns.
import TrackerNumerics

/// A 2-D convolution (cross-correlation, as PyTorch's `Conv2d`) of a C×H×W input with O square K×K filters,
/// stride S and zero padding D on every side:
///
///     output[b, o, y, x] = bias[o] + Σ_{c, i, j} weight[o, c, i, j] · input[b, c, y·S − D + i, x·S − D + j]
///
/// (input values outside the image are 0). The output is O×E×F with E = ⌊(H + 2D − K) / S⌋ + 1 and F likewise.
///
/// Parameters, in order: weight (O, C, K, K) row-major, then bias (O).
///
/// **Method.** Forward writes the column matrix `columns` (R, N), R = C·K·K, N = B·E·F, with
/// `columns[(c·K + i)·K + j, b·P + y·F + x] = input[b, c, y·S − D + i, x·S − D + j]` (im2col) into the cache,
/// multiplies `weight` (O, R) · `columns` in one GEMM into the scratch (O, N), and scatters that to the
/// (B, O, E, F) output adding the bias. Backward gathers dOutput into the scratch as (O, N), then
/// dWeight += dOutput · columnsᵀ (one GEMM over the cached columns, no recomputation), dBias += row sums, and
/// ∂L/∂columns = weightᵀ · dOutput, computed a few samples at a time into the scratch and added into dInput
/// (col2im) while it is still in the processor cache.
///
/// **Memory** for a batch of B: cache R·B·P values (the column matrix); scratch O·B·P + R·G·P values, G the
/// samples per col2im group (at most ``columnGroupValues`` / (R·P), at least 1). For the reference CNN at
/// B = 128: conv1 (1×28×28 → 16×28×28, K 5, D 2) caches 25 × 100 352 values (10 MB), conv2 (16×14×14 → 32×14×14)
/// caches 400 × 25 088 (40 MB); the scratch is at most 6.6 MB.
public struct Conv2DLayer: Layer, Hashable {
    public let inputShape: Shape
    /// Output channels O.
    public let channels: Int
    /// Filter height and width K.
    public let kernel: Int
    /// Step between filter positions S.
    public let stride: Int
    /// Zero rows and columns added on each side D.
    public let padding: Int
    public let outputShape: Shape

    /// Values of one group of ∂L/∂columns in the scratch (1 MiB of Float, about one core's L2 cache), so col2im
    /// reads what the GEMM just wrote from the processor cache.
    public static let columnGroupValues = 1 << 18

    /// A convolution of a C×H×W `inputShape` to `channels` channels with a `kernel`×`kernel` filter.
    /// Needs kernel ≥ 1, stride ≥ 1, 0 ≤ padding < kernel, and the padded image at least as large as the kernel.
    public init(inputShape: Shape, channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        precondition(inputShape.rank == 3, "a convolution needs a C×H×W input, got \(inputShape)")
        precondition(channels >= 1, "a convolution needs at least one output channel, got \(channels)")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding < kernel,
                     "a convolution needs kernel ≥ 1, stride ≥ 1 and 0 ≤ padding < kernel, got k\(kernel) s\(stride) p\(padding)")
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        precondition(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                     "a \(kernel)×\(kernel) convolution with padding \(padding) does not fit a \(inputShape) input")
        self.inputShape = inputShape
        self.channels = channels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        outputShape = Shape([channels, (height + 2 * padding - kernel) / stride + 1,
                             (width + 2 * padding - kernel) / stride + 1])
    }

    public var parameterTensors: [ParameterTensor] {
        let inputChannels = inputShape.dimensions[0]
        return [ParameterTensor(name: "weight", role: .weight, shape: [channels, inputChannels, kernel, kernel],
                                initializer: .weight(fanIn: inputChannels * kernel * kernel,
                                                     fanOut: channels * kernel * kernel)),
                ParameterTensor(name: "bias", role: .bias, shape: [channels], initializer: .zeros)]
    }

    /// Rows R = C·K·K of the column matrix.
    var columnRows: Int { inputShape.dimensions[0] * kernel * kernel }
    /// Output positions P = E·F per channel.
    var positions: Int { outputShape.dimensions[1] * outputShape.dimensions[2] }
    /// Samples per col2im group (G in the type's documentation) for a batch of `batchSize`.
    func groupSize(batchSize: Int) -> Int {
        Swift.max(1, Swift.min(batchSize, Self.columnGroupValues / (columnRows * positions)))
    }

    /// The column matrix (R, B·P).
    public func cacheCount(batchSize: Int) -> Int { columnRows * batchSize * positions }

    /// Forward: the product (O, B·P). Backward: dOutput as (O, B·P), then one group of ∂L/∂columns (R, G·P).
    public func scratchCount(batchSize: Int) -> Int {
        channels * batchSize * positions + columnRows * groupSize(batchSize: batchSize) * positions
    }

    /// output (B, O, E, F) = conv(input (B, C, H, W), weight) + bias; the column matrix stays in `cache`.
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        let (outputChannels, rows, positions) = (channels, columnRows, positions)
        let columnCount = batchSize * positions
        imageToColumns(columns: cache, input: input, batchSize: batchSize)
        // product (O, N) = weight (O, R) · columns (R, N)
        let product = scratch
        BLAS.gemm(c: product, a: parameters, transposeA: false, b: cache, transposeB: false,
                  m: outputChannels, n: columnCount, k: rows)
        // output[b, o, p] = product[o, b·P + p] + bias[o]
        let bias = parameters + outputChannels * rows
        for channel in 0..<outputChannels {
            let channelBias = bias[channel]
            let source = product + channel * columnCount
            for sample in 0..<batchSize {
                let from = source + sample * positions
                let to = output + (sample * outputChannels + channel) * positions
                for position in 0..<positions { to[position] = from[position] + channelBias }
            }
        }
    }

    /// dWeight (O, R) += dOutput (O, N) · columnsᵀ; dBias (O) += Σ dOutput over samples and positions;
    /// dInput (B, C, H, W) += col2im(weightᵀ · dOutput). Reads the column matrix forward left in `cache`.
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        let (outputChannels, rows, positions) = (channels, columnRows, positions)
        let columnCount = batchSize * positions
        // gathered (O, N): gathered[o, b·P + p] = dOutput[b, o, p]; dBias[o] += its row sum.
        let gathered = scratch
        let dBias = dParameters + outputChannels * rows
        for channel in 0..<outputChannels {
            let target = gathered + channel * columnCount
            var sum: Float = 0
            for sample in 0..<batchSize {
                let from = dOutput + (sample * outputChannels + channel) * positions
                let to = target + sample * positions
                for position in 0..<positions {
                    let value = from[position]
                    to[position] = value
                    sum += value
                }
            }
            dBias[channel] += sum
        }
        // dWeight (O, R) += gathered (O, N) · columns (R, N)ᵀ
        BLAS.gemm(c: dParameters, a: gathered, transposeA: false, b: cache, transposeB: true,
                  m: outputChannels, n: rows, k: columnCount, beta: 1)
        guard let dInput else { return }
        // Per group of samples: dColumns (R, G·P) = weight (O, R)ᵀ · gathered[:, group], then col2im into dInput.
        let dColumns = scratch + outputChannels * columnCount
        let group = groupSize(batchSize: batchSize)
        var first = 0
        while first < batchSize {
            let count = Swift.min(group, batchSize - first)
            BLAS.gemm(c: dColumns, a: parameters, transposeA: true, b: gathered + first * positions, transposeB: false,
                      m: rows, n: count * positions, k: outputChannels, ldb: columnCount)
            columnsToImage(dInput: dInput, dColumns: dColumns, firstSample: first, sampleCount: count)
            first += count
        }
    }

    /// The output positions t (rows or columns) whose input index t·S − D + offset lies in 0..<size, for a filter
    /// row or column `offset`; the positions before and after read padding zeros.
    @inline(__always) private func insideRange(offset: Int, size: Int, outputSize: Int) -> (start: Int, end: Int) {
        let low = padding - offset               // t·S ≥ D − offset
        let high = size + padding - offset       // t·S < size + D − offset
        let start = Swift.min(outputSize, low <= 0 ? 0 : (low + stride - 1) / stride)
        let end = Swift.min(outputSize, high <= 0 ? 0 : (high + stride - 1) / stride)
        return (start, Swift.max(start, end))
    }

    /// columns (R, B·P) from input (B, C, H, W): see the type's documentation. Every value is written.
    func imageToColumns(columns: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, batchSize: Int) {
        let (inputChannels, height, width) = (inputShape.dimensions[0], inputShape.dimensions[1], inputShape.dimensions[2])
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride, padding, positions) = (kernel, stride, padding, positions)
        let planeSize = height * width
        let columnCount = batchSize * positions
        for channel in 0..<inputChannels {
            for filterRow in 0..<kernel {
                let (rowStart, rowEnd) = insideRange(offset: filterRow, size: height, outputSize: outputHeight)
                for filterColumn in 0..<kernel {
                    let (columnStart, columnEnd) = insideRange(offset: filterColumn, size: width, outputSize: outputWidth)
                    let row = columns + ((channel * kernel + filterRow) * kernel + filterColumn) * columnCount
                    for sample in 0..<batchSize {
                        let plane = input + (sample * inputChannels + channel) * planeSize
                        let block = row + sample * positions
                        if rowStart > 0 { block.update(repeating: 0, count: rowStart * outputWidth) }
                        for outputRow in rowStart..<rowEnd {
                            let target = block + outputRow * outputWidth
                            // Input column of output column x is x·S + shift.
                            let shift = (outputRow * stride - padding + filterRow) * width - padding + filterColumn
                            for x in 0..<columnStart { target[x] = 0 }
                            if stride == 1 {
                                (target + columnStart).update(from: plane + (columnStart + shift),
                                                              count: columnEnd - columnStart)
                            } else {
                                for x in columnStart..<columnEnd { target[x] = plane[x * stride + shift] }
                            }
                            for x in columnEnd..<outputWidth { target[x] = 0 }
                        }
                        if rowEnd < outputHeight {
                            (block + rowEnd * outputWidth).update(repeating: 0, count: (outputHeight - rowEnd) * outputWidth)
                        }
                    }
                }
            }
        }
    }

    /// dInput (B, C, H, W) += col2im(dColumns) for samples first..<first + count, dColumns (R, count·P) holding
    /// those samples' columns in order: the adjoint of ``imageToColumns(columns:input:batchSize:)``.
    func columnsToImage(dInput: UnsafeMutablePointer<Float>, dColumns: UnsafePointer<Float>,
                        firstSample: Int, sampleCount: Int) {
        let (inputChannels, height, width) = (inputShape.dimensions[0], inputShape.dimensions[1], inputShape.dimensions[2])
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride, padding, positions) = (kernel, stride, padding, positions)
        let planeSize = height * width
        let columnCount = sampleCount * positions
        for sample in 0..<sampleCount {
            for channel in 0..<inputChannels {
                let plane = dInput + ((firstSample + sample) * inputChannels + channel) * planeSize
                for filterRow in 0..<kernel {
                    let (rowStart, rowEnd) = insideRange(offset: filterRow, size: height, outputSize: outputHeight)
                    for filterColumn in 0..<kernel {
                        let (columnStart, columnEnd) = insideRange(offset: filterColumn, size: width,
                                                                   outputSize: outputWidth)
                        let row = dColumns + ((channel * kernel + filterRow) * kernel + filterColumn) * columnCount
                        let block = row + sample * positions
                        for outputRow in rowStart..<rowEnd {
                            let source = block + outputRow * outputWidth
                            let shift = (outputRow * stride - padding + filterRow) * width - padding + filterColumn
                            if stride == 1 {
                                let target = plane + (columnStart + shift)
                                let from = source + columnStart
                                for x in 0..<(columnEnd - columnStart) { target[x] += from[x] }
                            } else {
                                for x in columnStart..<columnEnd { plane[x * stride + shift] += source[x] }
                            }
                        }
                    }
                }
            }
        }
    }
}
