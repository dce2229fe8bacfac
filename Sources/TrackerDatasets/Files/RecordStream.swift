// Decoding "a header, then fixed-width records" (IDX, .npy, CIFAR-10) from a stream fed chunk by chunk.

/// What a header says follows it: records of `width` bytes, `count` of them (nil: up to the end of the stream).
struct RecordLayout {
    var width: Int
    var count: Int?
}

/// What a header parser answers for the header bytes gathered so far.
enum HeaderProgress {
    /// The header is at least this many bytes long in all: gather up to there and ask again.
    case needs(Int)
    /// The header is exactly the bytes gathered; the records follow.
    case complete(RecordLayout)
}

/// A push decoder for a header followed by fixed-width records: it gathers the header until its parser can describe
/// the records, then hands them on in runs of whole records, reassembling a record that straddles two chunks.
/// Bytes past the `count` records a header announces are counted, not handed on.
struct RecordStream {
    private var header: [UInt8] = []
    private var needed: Int
    private(set) var layout: RecordLayout?
    private var carry: [UInt8] = []
    /// Whole records handed on so far.
    private(set) var recordCount = 0
    /// Bytes after the announced records.
    private(set) var excessBytes = 0

    /// A stream whose header is at least `minimumHeader` bytes long (0 for none).
    init(minimumHeader: Int) {
        needed = minimumHeader
    }

    /// Bytes of an incomplete last record (a truncated stream), or of an incomplete header.
    var partialBytes: Int { layout == nil ? header.count : carry.count }

    /// Feeds the next chunk of the stream.
    ///
    /// - Parameters:
    ///   - parseHeader: Called with the header bytes gathered so far, each time the count it last asked for is
    ///     reached (first with `minimumHeader` bytes; with none when that is 0).
    ///   - records: Called with whole records: their bytes, the index of the first, and how many.
    mutating func consume(_ chunk: UnsafeRawBufferPointer, parseHeader: ([UInt8]) throws -> HeaderProgress,
                          records: (UnsafeRawBufferPointer, Int, Int) throws -> Void) throws {
        var chunk = chunk[...]
        while layout == nil {
            let take = min(needed - header.count, chunk.count)
            header.append(contentsOf: chunk.prefix(take))
            chunk = chunk.dropFirst(take)
            guard header.count == needed else { return }
            switch try parseHeader(header) {
            case .needs(let count):
                precondition(count > header.count, "a header parser must ask for more bytes than it has")
                needed = count
            case .complete(let described):
                precondition(described.width >= 1, "records are at least one byte wide")
                layout = described
            }
        }
        guard let layout else { return }
        let remaining = layout.count.map { $0 - recordCount } ?? .max
        if !carry.isEmpty && remaining > 0 {
            let take = min(layout.width - carry.count, chunk.count)
            carry.append(contentsOf: chunk.prefix(take))
            chunk = chunk.dropFirst(take)
            guard carry.count == layout.width else { return }
            try carry.withUnsafeBytes { try records($0, recordCount, 1) }
            recordCount += 1
            carry.removeAll(keepingCapacity: true)
        }
        let wanted = layout.count.map { $0 - recordCount } ?? .max
        let whole = min(chunk.count / layout.width, wanted)
        if whole > 0 {
            let end = chunk.startIndex + whole * layout.width
            try records(UnsafeRawBufferPointer(rebasing: chunk[..<end]), recordCount, whole)
            recordCount += whole
            chunk = chunk[end...]
        }
        if recordCount == layout.count {
            excessBytes += chunk.count
        } else {
            carry.append(contentsOf: chunk)
        }
    }
}
