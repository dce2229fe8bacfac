// Owned, fixed-size, zero-initialised memory for parameters, gradients, activations and optimiser state.
import Foundation

/// A block of `count` elements allocated once and freed when the owner goes away (llm.c-style memory).
///
/// The training step reads and writes through `base`; nothing is reallocated or copied after `init`.
public final class Buffer<Element: BitwiseCopyable & ExpressibleByIntegerLiteral> {
    /// The first element; valid while this object lives.
    public let base: UnsafeMutablePointer<Element>
    /// Elements held.
    public let count: Int

    /// Allocates `count` elements set to zero.
    public init(count: Int) {
        precondition(count >= 0, "buffer size must not be negative, got \(count)")
        self.count = count
        base = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { base.deallocate() }

    /// All elements as a buffer pointer, valid while this object lives.
    public var elements: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// Sets the first `count` elements (all by default) to zero, with one memset: the generic element loop is not
    /// specialised across modules and costs milliseconds per training step on large buffers.
    @inlinable
    public func zero(count: Int? = nil) {
        memset(UnsafeMutableRawPointer(base), 0, (count ?? self.count) * MemoryLayout<Element>.stride)
    }
}
