import SwitchyardCore

/// A failure the simulator plays for one upcoming chat request.
public enum SimulatedFault: Sendable, Hashable {
    /// Answer this HTTP status with an OpenAI error body, and `retry-after` when given.
    case status(Int, retryAfterSeconds: Int? = nil)
    /// Never answer; ends only when the caller goes away (or after `maxSeconds`).
    case hang(maxSeconds: Int = 60)
    /// Send the response head and `afterChunks` stream chunks (or half the JSON body), then drop the connection.
    case closeMidStream(afterChunks: Int = 1)
    /// Answer 200 with a body that is not valid JSON (or a stream of broken events).
    case malformedJSON
    /// Send the response head and `afterChunks` stream chunks, then go silent until the caller
    /// goes away (or after `maxSeconds`). Non-stream answers hang before the head.
    case hangMidStream(afterChunks: Int = 1, maxSeconds: Int = 60)
    /// Reset the TCP connection (`SO_LINGER` 0) before any response.
    case reset
    /// Send `afterChunks` stream chunks, then the dialect's in-stream error: a Bedrock
    /// event-stream exception frame (`modelStreamErrorException`), an Anthropic `event: error`,
    /// an OpenAI `data: {"error":…}` event; then end the stream. Non-stream answers get a 500.
    case streamError(afterChunks: Int = 1)
    /// Answer this status with the OpenAI-style rate limit headers `x-ratelimit-reset-requests`
    /// (and no `retry-after`).
    case rateLimitReset(String)
}

/// Options of a simulated cloud.
public struct SimulatorOptions: Sendable {
    /// Completion tokens in every answer (one word each).
    public var completionTokens: Int
    /// Delay before the response head.
    public var firstByteLatency: Duration
    /// Delay between stream chunks.
    public var chunkInterval: Duration
    /// When set, requests must carry this key the way their dialect does (`Authorization: Bearer`,
    /// Azure `api-key`, Anthropic `x-api-key`, Gemini `x-goog-api-key`, a Bedrock API key) or get
    /// the dialect's authentication error.
    public var requiredAPIKey: String?
    /// When set, Bedrock requests must carry a SigV4 signature by these credentials (service
    /// `bedrock`), recomputed from the request as received.
    public var awsCredentials: AWSCredentials?

    /// Creates options.
    public init(
        completionTokens: Int = 16,
        firstByteLatency: Duration = .zero,
        chunkInterval: Duration = .zero,
        requiredAPIKey: String? = nil,
        awsCredentials: AWSCredentials? = nil
    ) {
        self.completionTokens = completionTokens
        self.firstByteLatency = firstByteLatency
        self.chunkInterval = chunkInterval
        self.requiredAPIKey = requiredAPIKey
        self.awsCredentials = awsCredentials
    }
}
