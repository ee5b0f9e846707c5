import SwitchyardCore

/// The conversation as Anthropic, Bedrock Converse and Gemini want it: alternating turns, where
/// consecutive OpenAI messages of the same role (a user message after tool results, several tool
/// results) merge into one turn's blocks.
struct Turns {
    private(set) var turns: [(role: String, blocks: [JSONValue])] = []

    /// Adds `blocks` as `role`, merging into the previous turn when it has the same role.
    mutating func append(_ role: String, _ blocks: [JSONValue]) {
        guard !blocks.isEmpty else { return }
        if let last = self.turns.last, last.role == role {
            self.turns[self.turns.count - 1].blocks.append(contentsOf: blocks)
        } else {
            self.turns.append((role, blocks))
        }
    }

    /// `[{"role": …, "<blocksKey>": [...]}, …]`.
    func json(blocksKey: String) -> JSONValue {
        .array(self.turns.map { .object([("role", .string($0.role)), (blocksKey, .array($0.blocks))]) })
    }
}
