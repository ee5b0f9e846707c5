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
}

/// Options of a simulated cloud.
public struct SimulatorOptions: Sendable {
    /// Completion tokens in every answer (one word each).
    public var completionTokens: Int
    /// Delay before the response head.
    public var firstByteLatency: Duration
    /// Delay between stream chunks.
    public var chunkInterval: Duration
    /// When set, requests must carry `Authorization: Bearer <key>` or get 401.
    public var requiredAPIKey: String?

    /// Creates options.
    public init(
        completionTokens: Int = 16,
        firstByteLatency: Duration = .zero,
        chunkInterval: Duration = .zero,
        requiredAPIKey: String? = nil
    ) {
        self.completionTokens = completionTokens
        self.firstByteLatency = firstByteLatency
        self.chunkInterval = chunkInterval
        self.requiredAPIKey = requiredAPIKey
    }
}
