// Pooling over images: max and average pooling over K×K windows, and global average pooling.
//
// Legend (inside kernels only): B batch, C channels, H×W input height×width, K window size, S stride,
// E×F output height×width.

/// Max or average pooling of each channel of a C×H×W input over K×K windows at stride S, without padding
/// (as PyTorch's `MaxPool2d` and `AvgPool2d` with `padding=0`):
///
///     max:     output[b, c, y, x] = max_{i, j < K} input[b, c, y·S + i, x·S + j]
///     average: output[b, c, y, x] = (1 / K²) Σ_{i, j < K} input[b, c, y·S + i, x·S + j]
///
/// The output is C×E×F with E = ⌊(H − K) / S⌋ + 1 and F likewise; rows and columns past the last full window are
/// ignored. Windows may overlap (S < K); their gradients add up.
///
/// **Max pooling cache.** Forward stores, per output value, the position i·W + j in its input channel plane of the
/// window's maximum, as a Float (exact, since the constructor requires H·W ≤ 2²⁴); backward routes each output's
/// gradient to that one input. As in PyTorch, ties go to the first maximum in row-major window order, and a NaN
/// wins its window (the output is NaN, the position the last NaN's). Average pooling keeps nothing.
///
/// With workers and enough values, each thread pools a slice of the samples (same results for any thread count).
public struct Pool2DLayer: Layer, Hashable {
    /// Which reduction the window applies.
    public enum Kind: String, Sendable, Hashable {
        /// The largest value of the window.
        case max
        /// The mean of the window.
        case average
    }

    public let kind: Kind
    public let inputShape: Shape
    /// Window height and width K.
    public let kernel: Int
    /// Step between windows S.
    public let stride: Int
    public let outputShape: Shape

    /// Pooling of a C×H×W `inputShape` with a `kernel`×`kernel` window every `stride` values (the kernel by
    /// default); the window must fit the image.
    public init(kind: Kind, inputShape: Shape, kernel: Int, stride: Int? = nil) {
        precondition(inputShape.rank == 3, "pooling needs a C×H×W input, got \(inputShape)")
        let stride = stride ?? kernel
        precondition(kernel >= 1 && stride >= 1, "pooling needs kernel ≥ 1 and stride ≥ 1, got k\(kernel) s\(stride)")
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        precondition(height >= kernel && width >= kernel, "a \(kernel)×\(kernel) window does not fit a \(inputShape) input")
        precondition(height * width <= 1 << 24, "pooling stores plane positions as Float: H·W must be at most 2²⁴")
        self.kind = kind
        self.inputShape = inputShape
        self.kernel = kernel
        self.stride = stride
        outputShape = Shape([inputShape.dimensions[0], (height - kernel) / stride + 1, (width - kernel) / stride + 1])
    }

    public var parameterTensors: [ParameterTensor] { [] }

    /// Max pooling: one arg-max position per output value. Average pooling: nothing.
    public func cacheCount(batchSize: Int) -> Int { kind == .max ? batchSize * outputShape.count : 0 }

    /// output (B, C, E, F) = pool(input (B, C, H, W)); max pooling writes the arg-max positions into `cache`.
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        if let workers = context.workers,
           workers.shouldSplit(work: IndependentSamples.work(self, batchSize: context.batchSize)) {
            workers.run(IndependentSamples(forward: self, output: output, input: input, parameters: parameters,
                                           cache: cache, scratch: scratch, context: context))
            return
        }
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride) = (kernel, stride)
        let planes = context.batchSize * inputShape.dimensions[0]
        let (planeSize, outputPlaneSize) = (height * width, outputHeight * outputWidth)
        switch kind {
        case .max:
            for planeIndex in 0..<planes {
                let plane = input + planeIndex * planeSize
                let outputPlane = output + planeIndex * outputPlaneSize
                let positionPlane = cache + planeIndex * outputPlaneSize
                for y in 0..<outputHeight {
                    for x in 0..<outputWidth {
                        let corner = y * stride * width + x * stride
                        var best = MaximumSoFar(value: plane[corner], position: corner)
                        if kernel == 2 {
                            // Unrolled, so that the compiler keeps the selects as conditional moves (in a loop over
                            // the window it turns them back into branches).
                            best.update(plane[corner + 1], at: corner + 1)
                            best.update(plane[corner + width], at: corner + width)
                            best.update(plane[corner + width + 1], at: corner + width + 1)
                        } else {
                            for i in 0..<kernel {
                                let rowStart = corner + i * width
                                for j in 0..<kernel { best.update(plane[rowStart + j], at: rowStart + j) }
                            }
                        }
                        outputPlane[y * outputWidth + x] = Float(bitPattern: best.bits)
                        positionPlane[y * outputWidth + x] = Float(best.position)
                    }
                }
            }
        case .average:
            let scale = 1 / Float(kernel * kernel)
            for planeIndex in 0..<planes {
                let plane = input + planeIndex * planeSize
                let outputPlane = output + planeIndex * outputPlaneSize
                for y in 0..<outputHeight {
                    for x in 0..<outputWidth {
                        let corner = y * stride * width + x * stride
                        var sum: Float = 0
                        for i in 0..<kernel {
                            let rowStart = corner + i * width
                            for j in 0..<kernel { sum += plane[rowStart + j] }
                        }
                        outputPlane[y * outputWidth + x] = sum * scale
                    }
                }
            }
        }
    }

    /// Max: dInput[arg-max] += dOutput. Average: every input of the window += dOutput / K².
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        if let workers = context.workers,
           workers.shouldSplit(work: IndependentSamples.work(self, batchSize: context.batchSize)) {
            workers.run(IndependentSamples(backward: self, dInput: dInput, dParameters: dParameters, dOutput: dOutput,
                                           output: output, input: input, parameters: parameters, cache: cache,
                                           scratch: scratch, context: context))
            return
        }
        let (height, width) = (inputShape.dimensions[1], inputShape.dimensions[2])
        let (outputHeight, outputWidth) = (outputShape.dimensions[1], outputShape.dimensions[2])
        let (kernel, stride) = (kernel, stride)
        let planes = context.batchSize * inputShape.dimensions[0]
        let (planeSize, outputPlaneSize) = (height * width, outputHeight * outputWidth)
        switch kind {
        case .max:
            for planeIndex in 0..<planes {
                let dPlane = dInput + planeIndex * planeSize
                let dOutputPlane = dOutput + planeIndex * outputPlaneSize
                let positionPlane = cache + planeIndex * outputPlaneSize
                for index in 0..<outputPlaneSize { dPlane[Int(positionPlane[index])] += dOutputPlane[index] }
            }
        case .average:
            let scale = 1 / Float(kernel * kernel)
            for planeIndex in 0..<planes {
                let dPlane = dInput + planeIndex * planeSize
                let dOutputPlane = dOutput + planeIndex * outputPlaneSize
                for y in 0..<outputHeight {
                    for x in 0..<outputWidth {
                        let share = dOutputPlane[y * outputWidth + x] * scale
                        let corner = y * stride * width + x * stride
                        for i in 0..<kernel {
                            let rowStart = corner + i * width
                            for j in 0..<kernel { dPlane[rowStart + j] += share }
                        }
                    }
                }
            }
        }
    }
}

/// Global average pooling: each channel of a C×H×W input becomes its mean, output (C) with
/// `output[b, c] = (1 / (H·W)) Σ_{y, x} input[b, c, y, x]`. No parameters, no cache.
public struct GlobalAveragePoolLayer: Layer, Hashable {
    public let inputShape: Shape
    public var outputShape: Shape { .features(inputShape.dimensions[0]) }
    public var parameterTensors: [ParameterTensor] { [] }

    /// `inputShape` must be C×H×W.
    public init(inputShape: Shape) {
        precondition(inputShape.rank == 3, "global average pooling needs a C×H×W input, got \(inputShape)")
        self.inputShape = inputShape
    }

    /// output (B, C) = mean of each (H, W) plane of input (B, C, H, W).
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let planeSize = inputShape.dimensions[1] * inputShape.dimensions[2]
        let scale = 1 / Float(planeSize)
        for planeIndex in 0..<(context.batchSize * inputShape.dimensions[0]) {
            let plane = input + planeIndex * planeSize
            var sum: Float = 0
            for index in 0..<planeSize { sum += plane[index] }
            output[planeIndex] = sum * scale
        }
    }

    /// dInput[b, c, y, x] += dOutput[b, c] / (H·W).
    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        let planeSize = inputShape.dimensions[1] * inputShape.dimensions[2]
        let scale = 1 / Float(planeSize)
        for planeIndex in 0..<(context.batchSize * inputShape.dimensions[0]) {
            let dPlane = dInput + planeIndex * planeSize
            let share = dOutput[planeIndex] * scale
            for index in 0..<planeSize { dPlane[index] += share }
        }
    }
}

/// The running maximum of a max-pooling window and its position, updated without branches where the compiler allows:
/// on activations the comparison is unpredictable, and a branch mispredicted half the time costs more than the window.
private struct MaximumSoFar {
    /// The maximum's bit pattern, so that the update is an integer select (a conditional move).
    var bits: UInt32
    var position: Int

    @inline(__always) init(value: Float, position: Int) {
        bits = value.bitPattern
        self.position = position
    }

    /// Takes `value` if it is larger, or NaN (as PyTorch: a NaN wins, the last one).
    @inline(__always) mutating func update(_ value: Float, at position: Int) {
        // value > maximum and value ≠ value (NaN) never hold together, so ≠ is their "or", without a short circuit.
        let takes = (value > Float(bitPattern: bits)) != (value != value)
        bits = takes ? value.bitPattern : bits
        self.position = takes ? position : self.position
    }
}
