import SwitchyardCore

/// How much of a request limits reserve before it runs.
enum LimitReservation {
    /// Completion tokens reserved for a request that sets no `max_tokens`.
    static let defaultCompletionTokens = 4096

    /// The tokens a request may use at most, as far as the gateway can tell before it runs: about
    /// four bytes per prompt token, plus its completion cap.
    static func tokens(_ head: ChatRequestHead) -> Int64 {
        Int64((head.body.count + 3) / 4 + (head.maxTokens ?? Self.defaultCompletionTokens))
    }
}
