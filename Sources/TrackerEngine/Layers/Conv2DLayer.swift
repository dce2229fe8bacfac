// The 2-D convolution layer: im2col a group of samples at a time into cache-sized scratch, GEMMs, col2im.
//
// Legend (inside kernels only): B batch, G samples per group, C input channels, H×W input height×width,
// O output channels, K kernel size, S stride, D padding, E×F output height×width, P = E·F output positions per
// channel, R = C·K·K rows of the column matrix (one per weight of an output channel), Hp×Wp = (H + 2D)×(W + 2D)
// the padded image.
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
/// **Method.** The batch is processed in groups of G samples. For a group, im2col writes the column matrix
/// `columns` (R, G·P), R = C·K·K, with `columns[(c·K + i)·K + j, b·P + y·F + x] = padded[b, c, y·S + i, x·S + j]`
/// (`padded` the group's input with D zeros on every side, copied to the scratch when D > 0).
/// Forward: product (O, G·P) = bias + weight (O, R) · columns, copied to the group's (G, O, E, F) output.
/// Backward: the columns are rebuilt, dOutput is gathered as (O, G·P), dWeight += dOutput · columnsᵀ,
/// dBias += row sums, ∂L/∂columns = weightᵀ · dOutput overwrites the columns, and col2im adds them into dInput.
///
/// **Why groups and recomputation, not a cached column matrix for the whole batch.** Measured on the reference CNN
/// (batch 128): writing conv2's whole-batch column matrix (400 × 25 088 values, 40 MB) runs at memory speed, about
/// 5–7 ms, while groups of a few MB stay in the processor cache and take about 1.5 ms for the same values, and the
/// GEMMs then read them from the cache. Rebuilding the columns in backward costs less than reading a 40 MB cache
/// back, and the layer needs no cache at all. (With one OpenBLAS thread, conv2 forward went from 16 to 11 ms and
/// backward from 28 to 24 ms against the whole-batch cached version.)
///
/// **Threads.** With N > 1 ``LayerContext/workers``, the batch is cut into N contiguous slices (sizes differing by
/// at most one) and each thread runs the groups of its slice with its own scratch and single-threaded BLAS; the
/// per-image GEMMs are too small for OpenBLAS's own threading to pay. In backward, slice 0 adds into dParameters
/// and slice s > 0 into its own zeroed partial gradient; the partials are then added in slice order, so the sums
/// are fixed for a given N and repeat bit for bit (they differ from one thread's only in rounding).
///
/// **Memory** for a batch of B: no cache; scratch G·(C·Hp·Wp + R·P + O·P) values, G the samples per group (at most
/// ``groupValues`` / (R·P), at least 1). For the reference CNN at B = 128: conv1 (1×28×28 → 16×28×28, K 5,
/// D 2) G = 26, 3.4 MB; conv2 (16×14×14 → 32×14×14) G = 6, 2.2 MB. With N threads: N times the scratch of a
/// slice of ⌈B / N⌉ samples, plus N − 1 partial gradients of O·(R + 1) values.
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
    /// Budget for one group's column matrix, in values: G = max(1, ⌊budget / (R·P)⌋) samples per group.
    public let groupValues: Int

    /// The default ``groupValues``, 2¹⁹ (2 MiB of Float): a group's columns stay in the processor cache between
    /// im2col and the GEMMs, and each GEMM is still large. On the reference CNN, one OpenBLAS thread, times are
    /// flat from 2¹⁷ to 2²⁰ and grow by a third from 2²¹ up, where the columns leave the cache.
    public static let defaultGroupValues = 1 << 19

    /// A convolution of a C×H×W `inputShape` to `channels` channels with a `kernel`×`kernel` filter.
    /// Needs kernel ≥ 1, stride ≥ 1, 0 ≤ padding < kernel, and the padded image at least as large as the kernel.
    /// `groupValues` changes only speed and scratch size, not results beyond rounding (tests make it small to
    /// cover several groups with small images).
    public init(inputShape: Shape, channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                groupValues: Int = Conv2DLayer.defaultGroupValues) {
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
        self.groupValues = Swift.max(1, groupValues)
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

    /// O·R + O, the ``parameterCount``, without building the tensor list (which allocates).
    private var weightAndBiasCount: Int { channels * columnRows + channels }

    /// Rows R = C·K·K of the column matrix.
    var columnRows: Int { inputShape.dimensions[0] * kernel * kernel }
    /// Output positions P = E·F per channel.
    var positions: Int { outputShape.dimensions[1] * outputShape.dimensions[2] }
    /// Values of one padded input sample, C·Hp·Wp.
    var paddedSampleCount: Int {
        inputShape.dimensions[0] * (inputShape.dimensions[1] + 2 * padding) * (inputShape.dimensions[2] + 2 * padding)
    }
    /// Samples per group (G in the type's documentation) for a batch of `batchSize`.
    func groupSize(batchSize: Int) -> Int {
        Swift.max(1, Swift.min(batchSize, groupValues / (columnRows * positions)))
    }

    /// Per group: the padded input (or its gradient), the column matrix, the product (O, G·P).
    public func scratchCount(batchSize: Int) -> Int {
        groupSize(batchSize: batchSize) * (paddedSampleCount + columnRows * positions + channels * positions)
    }

    /// Multiply-adds of the forward product, B·O·R·P: what decides whether a pass is split over threads.
    private func work(batchSize: Int) -> Int { batchSize * channels * columnRows * positions }

    /// Per thread the scratch of a slice of ⌈B / threads⌉ samples, then threads − 1 partial gradients.
    public func scratchCount(batchSize: Int, threads: Int) -> Int {
        if threads <= 1 { return scratchCount(batchSize: batchSize) }
        return threads * scratchCount(batchSize: (batchSize + threads - 1) / threads)
            + (threads - 1) * weightAndBiasCount
    }

    /// output (B, O, E, F) = conv(input (B, C, H, W), weight) + bias.
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        guard let workers = context.workers, batchSize > 1, workers.shouldSplit(work: work(batchSize: batchSize)) else {
            forward(output: output, input: input, parameters: parameters, scratch: scratch, samples: 0..<batchSize)
            return
        }
        workers.run(ForwardSlices(layer: self, output: output, input: input, parameters: parameters,
                                  scratch: scratch, batchSize: batchSize, threads: workers.threadCount))
    }

    /// Forward with the batch cut into one slice per thread, each with its own part of the scratch.
    private struct ForwardSlices: ParallelWork {
        let layer: Conv2DLayer
        let output: UnsafeMutablePointer<Float>
        let input: UnsafePointer<Float>
        let parameters: UnsafePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let batchSize: Int
        let threads: Int

        func run(part: Int) {
            let samples = WorkerPool.partRange(part, of: batchSize, parts: threads)
            if samples.isEmpty { return }
            let sliceScratch = layer.scratchCount(batchSize: (batchSize + threads - 1) / threads)
            layer.forward(output: output, input: input, parameters: parameters, scratch: scratch + part * sliceScratch,
                          samples: samples)
        }
    }

    /// Forward over `samples` of the batch, one group after another, on the calling thread.
    private func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, samples: Range<Int>) {
        let (outputChannels, rows, positions) = (channels, columnRows, positions)
        let group = groupSize(batchSize: samples.count)
        let padded = scratch
        let columns = padded + group * paddedSampleCount
        let product = columns + group * rows * positions
        let bias = parameters + outputChannels * rows
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = Swift.min(group, samples.upperBound - first)
            let source = paddedGroup(padded: padded, input: input, firstSample: first, sampleCount: count)
            imageToColumns(columns: columns, padded: source, sampleCount: count)
            // product (O, count·P) = bias[o] + weight (O, R) · columns (R, count·P). Filling in the bias and
            // accumulating (β = 1) replaces OpenBLAS's separate β = 0 pass over the product.
            for channel in 0..<outputChannels {
                (product + channel * count * positions).update(repeating: bias[channel], count: count * positions)
            }
            BLAS.gemm(c: product, a: parameters, transposeA: false, b: columns, transposeB: false,
                      m: outputChannels, n: count * positions, k: rows, beta: 1)
            // output[first + b, o, p] = product[o, b·P + p]
            for channel in 0..<outputChannels {
                let source = product + channel * count * positions
                for sample in 0..<count {
                    copyRow(output + ((first + sample) * outputChannels + channel) * positions,
                            source + sample * positions, count: positions)
                }
            }
            first += count
        }
    }

    /// dWeight (O, R) += Σ_groups dOutput (O, G·P) · columnsᵀ; dBias (O) += Σ dOutput over samples and positions;
    /// dInput (B, C, H, W) += col2im(weightᵀ · dOutput).
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        guard let workers = context.workers, batchSize > 1, workers.shouldSplit(work: work(batchSize: batchSize)) else {
            backward(dInput: dInput, dParameters: dParameters, dOutput: dOutput, input: input, parameters: parameters,
                     scratch: scratch, samples: 0..<batchSize)
            return
        }
        let threads = workers.threadCount
        let work = BackwardSlices(layer: self, dInput: dInput, dParameters: dParameters, dOutput: dOutput,
                                  input: input, parameters: parameters, scratch: scratch, batchSize: batchSize,
                                  threads: threads)
        workers.run(work)
        for part in 1..<threads where !workers.partRange(part, of: batchSize).isEmpty {
            addRow(dParameters, work.partials + (part - 1) * weightAndBiasCount, count: weightAndBiasCount)
        }
    }

    /// Backward with the batch cut into one slice per thread, each with its own part of the scratch; slice 0 adds
    /// into dParameters, slice s > 0 into the zeroed partial gradient s − 1 after the slices' scratch.
    private struct BackwardSlices: ParallelWork {
        let layer: Conv2DLayer
        let dInput: UnsafeMutablePointer<Float>?
        let dParameters: UnsafeMutablePointer<Float>
        let dOutput: UnsafePointer<Float>
        let input: UnsafePointer<Float>
        let parameters: UnsafePointer<Float>
        let scratch: UnsafeMutablePointer<Float>
        let batchSize: Int
        let threads: Int

        var sliceScratch: Int { layer.scratchCount(batchSize: (batchSize + threads - 1) / threads) }
        var partials: UnsafeMutablePointer<Float> { scratch + threads * sliceScratch }

        func run(part: Int) {
            let samples = WorkerPool.partRange(part, of: batchSize, parts: threads)
            if samples.isEmpty { return }
            var target = dParameters
            if part > 0 {
                target = partials + (part - 1) * layer.weightAndBiasCount
                target.update(repeating: 0, count: layer.weightAndBiasCount)
            }
            layer.backward(dInput: dInput, dParameters: target, dOutput: dOutput, input: input,
                           parameters: parameters, scratch: scratch + part * sliceScratch, samples: samples)
        }
    }

    /// Backward over `samples` of the batch, one group after another, on the calling thread, adding into
    /// `dParameters` and into those samples' rows of `dInput`.
    private func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                          dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>, samples: Range<Int>) {
        let (outputChannels, rows, positions) = (channels, columnRows, positions)
        let group = groupSize(batchSize: samples.count)
        let padded = scratch
        let columns = padded + group * paddedSampleCount
        let gathered = columns + group * rows * positions
        let dBias = dParameters + outputChannels * rows
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = Swift.min(group, samples.upperBound - first)
            let source = paddedGroup(padded: padded, input: input, firstSample: first, sampleCount: count)
            imageToColumns(columns: columns, padded: source, sampleCount: count)
            // gathered (O, count·P): gathered[o, b·P + p] = dOutput[first + b, o, p]; dBias[o] += its row sum.
            for channel in 0..<outputChannels {
                let target = gathered + channel * count * positions
                var sum: Float = 0
                for sample in 0..<count {
                    sum += copyRowSumming(target + sample * positions,
                                          dOutput + ((first + sample) * outputChannels + channel) * positions,
                                          count: positions)
                }
                dBias[channel] += sum
            }
            // dWeight (O, R) += gathered (O, count·P) · columns (R, count·P)ᵀ
            BLAS.gemm(c: dParameters, a: gathered, transposeA: false, b: columns, transposeB: true,
                      m: outputChannels, n: rows, k: count * positions, beta: 1)
            if let dInput {
                // dColumns (R, count·P) = weight (O, R)ᵀ · gathered, over the columns (no longer needed). Zeroing
                // first and accumulating (β = 1) beats OpenBLAS's own β = 0 pass for this short-k shape (by about a
                // fifth on conv2's groups).
                columns.update(repeating: 0, count: rows * count * positions)
                BLAS.gemm(c: columns, a: parameters, transposeA: true, b: gathered, transposeB: false,
                          m: rows, n: count * positions, k: outputChannels, beta: 1)
                columnsToImage(dInput: dInput, dColumns: columns, paddedGradient: padded, firstSample: first,
                               sampleCount: count)
            }
            first += count
        }
    }

    /// The group's input as padded planes (count, C, Hp, Wp): `padded` filled with the samples and zero borders when
    /// D > 0, else the input itself (padded and unpadded layouts coincide).
    private func paddedGroup(padded: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, firstSample: Int,
                             sampleCount: Int) -> UnsafePointer<Float> {
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        let source = input + firstSample * inputShape.count
        if padding == 0 { return source }
        let (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding)
        padded.update(repeating: 0, count: sampleCount * paddedSampleCount)
        for plane in 0..<(sampleCount * inputShape.dimensions[0]) {
            let from = source + plane * height * width
            let to = padded + plane * paddedHeight * paddedWidth + padding * paddedWidth + padding
            for row in 0..<height { copyRow(to + row * paddedWidth, from + row * width, count: width) }
        }
        return UnsafePointer(padded)
    }

    /// columns (R, count·P) from `padded` (count, C, Hp, Wp): see the type's documentation. Every value is written.
    func imageToColumns(columns: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>, sampleCount: Int) {
        let inputChannels = inputShape.dimensions[0]
        let (paddedHeight, paddedWidth) = (inputShape.dimensions[1] + 2 * padding, inputShape.dimensions[2] + 2 * padding)
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride, positions) = (kernel, stride, positions)
        let planeSize = paddedHeight * paddedWidth
        let columnCount = sampleCount * positions
        for channel in 0..<inputChannels {
            for filterRow in 0..<kernel {
                for filterColumn in 0..<kernel {
                    let row = columns + ((channel * kernel + filterRow) * kernel + filterColumn) * columnCount
                    for sample in 0..<sampleCount {
                        let corner = padded + (sample * inputChannels + channel) * planeSize
                            + filterRow * paddedWidth + filterColumn
                        let block = row + sample * positions
                        for outputRow in 0..<outputHeight {
                            let from = corner + outputRow * stride * paddedWidth
                            let to = block + outputRow * outputWidth
                            if stride == 1 {
                                copyRow(to, from, count: outputWidth)
                            } else {
                                for x in 0..<outputWidth { to[x] = from[x * stride] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dInput (B, C, H, W) += col2im(dColumns) for samples first..<first + count, dColumns (R, count·P): the
    /// adjoint of ``imageToColumns(columns:padded:sampleCount:)``. With D > 0 the sums go through
    /// `paddedGradient` (count, C, Hp, Wp) and only its interior reaches dInput.
    func columnsToImage(dInput: UnsafeMutablePointer<Float>, dColumns: UnsafePointer<Float>,
                        paddedGradient: UnsafeMutablePointer<Float>, firstSample: Int, sampleCount: Int) {
        let inputChannels = inputShape.dimensions[0]
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        let (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding)
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride, positions) = (kernel, stride, positions)
        let planeSize = paddedHeight * paddedWidth
        let columnCount = sampleCount * positions
        let target = padding == 0 ? dInput + firstSample * inputShape.count : paddedGradient
        if padding > 0 { target.update(repeating: 0, count: sampleCount * paddedSampleCount) }
        for channel in 0..<inputChannels {
            for filterRow in 0..<kernel {
                for filterColumn in 0..<kernel {
                    let row = dColumns + ((channel * kernel + filterRow) * kernel + filterColumn) * columnCount
                    for sample in 0..<sampleCount {
                        let corner = target + (sample * inputChannels + channel) * planeSize
                            + filterRow * paddedWidth + filterColumn
                        let block = row + sample * positions
                        for outputRow in 0..<outputHeight {
                            let to = corner + outputRow * stride * paddedWidth
                            let from = block + outputRow * outputWidth
                            if stride == 1 {
                                addRow(to, from, count: outputWidth)
                            } else {
                                for x in 0..<outputWidth { to[x * stride] += from[x] }
                            }
                        }
                    }
                }
            }
        }
        guard padding > 0 else { return }
        let destination = dInput + firstSample * inputShape.count
        for plane in 0..<(sampleCount * inputChannels) {
            let from = target + plane * planeSize + padding * paddedWidth + padding
            let to = destination + plane * height * width
            for row in 0..<height { addRow(to + row * width, from + row * paddedWidth, count: width) }
        }
    }
}

/// to[0..<count] = from[0..<count] (the ranges must not overlap), eight values at a time: the rows of im2col are
/// short (the output width), so a memmove call per row would cost more than the copy.
@inline(__always) private func copyRow(_ to: UnsafeMutablePointer<Float>, _ from: UnsafePointer<Float>, count: Int) {
    if count >= 8 {
        var x = 0
        while x + 8 < count {
            UnsafeMutableRawPointer(to + x).storeBytes(of: UnsafeRawPointer(from + x).loadUnaligned(as: SIMD8<Float>.self),
                                                       as: SIMD8<Float>.self)
            x += 8
        }
        // The last eight values, overlapping the previous block: rewriting a value with itself is harmless.
        let last = count - 8
        UnsafeMutableRawPointer(to + last).storeBytes(of: UnsafeRawPointer(from + last).loadUnaligned(as: SIMD8<Float>.self),
                                                      as: SIMD8<Float>.self)
    } else {
        for x in 0..<count { to[x] = from[x] }
    }
}

/// to[0..<count] += from[0..<count] (the ranges must not overlap), eight values at a time, then four, then one.
@inline(__always) private func addRow(_ to: UnsafeMutablePointer<Float>, _ from: UnsafePointer<Float>, count: Int) {
    var x = 0
    while x + 8 <= count {
        let sum = UnsafeRawPointer(to + x).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(from + x).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(to + x).storeBytes(of: sum, as: SIMD8<Float>.self)
        x += 8
    }
    if x + 4 <= count {
        let sum = UnsafeRawPointer(to + x).loadUnaligned(as: SIMD4<Float>.self)
            + UnsafeRawPointer(from + x).loadUnaligned(as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(to + x).storeBytes(of: sum, as: SIMD4<Float>.self)
        x += 4
    }
    while x < count {
        to[x] += from[x]
        x += 1
    }
}

/// Copies from[0..<count] to `to` (the ranges must not overlap) and returns their sum, eight partial sums at a time.
@inline(__always) private func copyRowSumming(_ to: UnsafeMutablePointer<Float>, _ from: UnsafePointer<Float>,
                                              count: Int) -> Float {
    var sums = SIMD8<Float>()
    var x = 0
    while x + 8 <= count {
        let values = UnsafeRawPointer(from + x).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(to + x).storeBytes(of: values, as: SIMD8<Float>.self)
        sums += values
        x += 8
    }
    var sum = sums.sum()
    while x < count {
        to[x] = from[x]
        sum += from[x]
        x += 1
    }
    return sum
}
