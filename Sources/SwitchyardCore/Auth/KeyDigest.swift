import Crypto

/// The SHA-256 digest of a client key: what the gateway keeps instead of the key.
public struct KeyDigest: Hashable, Sendable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Hashes `key`.
    public init(_ key: String) { self.bytes = Array(SHA256.hash(data: Array(key.utf8))) }

    /// Lower-case hex of the digest.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in self.bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two digests in time independent of where they differ.
    public func constantTimeEquals(_ other: KeyDigest) -> Bool {
        guard self.bytes.count == other.bytes.count else { return false }
        var difference: UInt8 = 0
        for index in self.bytes.indices { difference |= self.bytes[index] ^ other.bytes[index] }
        return difference == 0
    }
}
