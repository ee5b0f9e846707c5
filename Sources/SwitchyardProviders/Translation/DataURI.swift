import SwitchyardCore

/// A `data:<mime>;base64,<data>` image URI, split.
struct DataURI: Equatable {
    var mimeType: String
    var base64: String

    init?(_ url: String) {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let meta = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        guard meta.hasSuffix(";base64") else { return nil }
        self.mimeType = String(meta.dropLast(7))
        self.base64 = String(url[url.index(after: comma)...])
    }

    /// The image from an OpenAI `image_url`, or a 400 naming why it cannot be sent.
    static func image(_ url: String, provider: String) throws(UpstreamError) -> DataURI {
        guard let uri = DataURI(url) else {
            throw .untranslatable(
                GatewayError(
                    code: .invalidRequest,
                    message:
                        "\(provider) accepts images only as data: URIs (base64); http(s) image URLs are not fetched by the gateway.",
                    param: "messages"
                )
            )
        }
        return uri
    }
}

/// Helpers shared by the translating adapters.
enum Translation {
    /// Tool-call arguments (a JSON text) as an object; `{}` when empty.
    static func arguments(_ text: String) throws(UpstreamError) -> JSONValue {
        if text.allSatisfy({ $0.isWhitespace }) { return .object([]) }
        guard let value = try? JSONValue.parse(text), case .object = value else {
            throw .untranslatable(
                GatewayError(
                    code: .invalidRequest,
                    message: "Tool call arguments must be a JSON object.",
                    param: "messages"
                )
            )
        }
        return value
    }

    /// Rejects what no translating provider can do.
    static func checkPortable(_ request: OpenAIChatRequest) throws(UpstreamError) {
        if let n = request.n, n > 1 {
            throw .untranslatable(
                GatewayError(code: .invalidRequest, message: "This provider supports only n = 1.", param: "n")
            )
        }
    }

    /// `temperature` in 0…1 (Bedrock, Anthropic): OpenAI's 0…2 range is clamped.
    static func unitTemperature(_ value: Double?) -> JSONValue? {
        value.map { .number(Self.format(min(max($0, 0), 1))) }
    }

    /// A JSON number text for `value`.
    static func format(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
