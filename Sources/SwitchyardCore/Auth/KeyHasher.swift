import Crypto

/// Hashes stored client keys with HMAC-SHA256 under the server's `key_secret`, so that a copy
/// of the database alone does not allow checking guesses offline.
public struct KeyHasher: Sendable {
    // Crypto's SymmetricKey is not Sendable; the bytes are, and wrapping them is cheap.
    private let secret: [UInt8]

    /// Uses `secret` as the HMAC key.
    public init(secret: Secret) { self.secret = Array(secret.value.utf8) }

    /// The keyed hash of `presentedKey`.
    public func digest(_ presentedKey: String) -> KeyDigest {
        let key = SymmetricKey(data: self.secret)
        return KeyDigest(bytes: Array(HMAC<SHA256>.authenticationCode(for: Array(presentedKey.utf8), using: key)))
    }
}

extension KeyDigest {
    /// Wraps digest bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses lower- or upper-case hex.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
