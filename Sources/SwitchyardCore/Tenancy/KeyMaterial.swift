/// New key material: `sk-sy-` and 43 random base-62 characters (about 256 bits).
public enum KeyMaterial {
    /// Characters of the key shown in listings and audit records.
    public static let prefixLength = 12

    /// A new secret key.
    public static func newKey() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return "sk-sy-" + String((0..<43).map { _ in alphabet[Int(generator.next(upperBound: UInt8(62)))] })
    }

    /// A new key id: `key_` and 16 hex digits.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt64, radix: 16)
        return "key_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
