import Foundation

/// Quick structural checks on JSON bytes.
public enum JSONValidation {
    /// Whether `bytes` is one well-formed JSON object.
    public static func isObject(_ bytes: [UInt8]) -> Bool {
        var scanner = JSONScanner(bytes)
        return (try? scanner.topLevelObject()) != nil
    }
}

/// The OpenAI error body `{"error":{"message",…}}`.
public enum OpenAIErrorBody {
    private struct Envelope: Decodable {
        struct Inner: Decodable { var message: String }
        var error: Inner
    }

    /// Whether `bytes` is an OpenAI-shaped error body with a message.
    public static func isWellFormed(_ bytes: [UInt8]) -> Bool {
        (try? JSONDecoder().decode(Envelope.self, from: Data(bytes))) != nil
    }
}
