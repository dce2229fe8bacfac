// SHA-256 content hashes: how identical specs and data sets dedupe across databases and archives.
import Crypto
import Foundation

public enum ContentHash {
    /// Lowercase hex SHA-256 of `data`.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }

    /// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
    public static func sha256Hex(_ text: String) -> String {
        sha256Hex(Data(text.utf8))
    }
}

/// SHA-256 fed piece by piece, for content too large to gather into one buffer first (a data set's features).
public struct ContentHasher {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// Adds the UTF-8 bytes of `text`.
    public mutating func update(_ text: String) {
        hasher.update(data: Data(text.utf8))
    }

    /// Lowercase hex SHA-256 of everything added.
    public func finalizeHex() -> String {
        ContentHash.hex(hasher.finalize())
    }
}
