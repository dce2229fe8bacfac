// The per-sample shape of a tensor: F (features), T×F (a sequence) or C×H×W (an image).

/// The shape of one sample's values, outermost dimension first; a batch is `(batchSize, dimensions...)`, row-major.
///
/// `[784]` is a feature vector, `[28, 28]` a sequence of 28 steps of 28 features, `[1, 28, 28]` a one-channel image.
public struct Shape: Hashable, Codable, Sendable, CustomStringConvertible {
    public static func == (lhs: Shape, rhs: Shape) -> Bool { lhs.dimensions == rhs.dimensions }
    public func hash(into hasher: inout Hasher) { hasher.combine(dimensions) }

    /// Sizes, outermost first; every size is at least 1.
    public let dimensions: [Int]
    /// Values per sample: the product of the dimensions. Stored, because layers read it in their hot loops (a
    /// generic `reduce` there allocates in unoptimised builds).
    public let count: Int

    /// A shape with these sizes (each at least 1, at least one dimension).
    public init(_ dimensions: [Int]) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 >= 1 }, "invalid shape \(dimensions)")
        self.dimensions = dimensions
        count = dimensions.reduce(1, *)
    }

    /// A feature vector of `count` values.
    public static func features(_ count: Int) -> Shape { Shape([count]) }

    /// Number of dimensions.
    public var rank: Int { dimensions.count }

    /// "784", "28×28", "1×28×28".
    public var description: String { dimensions.map(String.init).joined(separator: "×") }
    /// The same with an ASCII "x", for summaries and file names: "1x28x28".
    public var asciiDescription: String { dimensions.map(String.init).joined(separator: "x") }

    public init(from decoder: any Decoder) throws {
        let dimensions = try decoder.singleValueContainer().decode([Int].self)
        guard !dimensions.isEmpty, dimensions.allSatisfy({ $0 >= 1 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "invalid shape \(dimensions)"))
        }
        self.dimensions = dimensions
        count = dimensions.reduce(1, *)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(dimensions)
    }
}
