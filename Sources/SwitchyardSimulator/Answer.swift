import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// One deterministic answer: words, or a call of the first tool, in any dialect.
struct Answer {
    var id: String
    var created: Int
    var model: String
    var promptTokens: Int
    var completionTokens: Int
    var toolCall: (id: String, name: String, arguments: JSONValue)?

    var words: [String] {
        guard self.toolCall == nil else { return [] }
        return (0..<self.completionTokens).map { SimulatorHandler.words[$0 % SimulatorHandler.words.count] }
    }

    var usageJSON: String {
        #"{"prompt_tokens":\#(self.promptTokens),"completion_tokens":\#(self.completionTokens),"total_tokens":\#(self.promptTokens + self.completionTokens),"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}"#
    }

    var openAIFinish: String { self.toolCall == nil ? "stop" : "tool_calls" }

    // MARK: OpenAI and Azure

    func completionJSON(azure: Bool = false) -> String {
        let content = self.toolCall == nil ? JSONText.quoted(self.words.joined()) : "null"
        var toolCalls = ""
        if let call = self.toolCall {
            toolCalls =
                #","tool_calls":[{"id":\#(JSONText.quoted(call.id)),"type":"function","function":{"name":\#(JSONText.quoted(call.name)),"arguments":\#(JSONText.quoted(call.arguments.jsonText))}}]"#
        }
        let filters = azure ? #","content_filter_results":\#(Self.azureFilters)"# : ""
        let promptFilters =
            azure
            ? #","prompt_filter_results":[{"prompt_index":0,"content_filter_results":\#(Self.azureFilters)}]"# : ""
        return
            #"{"id":"\#(self.id)","object":"chat.completion","created":\#(self.created),"model":\#(JSONText.quoted(self.model))\#(promptFilters),"system_fingerprint":"fp_sim","choices":[{"index":0,"message":{"role":"assistant","content":\#(content),"refusal":null,"annotations":[]\#(toolCalls)},"logprobs":null,"finish_reason":"\#(self.openAIFinish)"\#(filters)}],"usage":\#(self.usageJSON)}"#
    }

    static let azureFilters =
        #"{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}"#

    func streamEvents(includeUsage: Bool, azure: Bool = false) -> [String] {
        let head =
            #"{"id":"\#(self.id)","object":"chat.completion.chunk","created":\#(self.created),"model":\#(JSONText.quoted(self.model)),"system_fingerprint":"fp_sim","choices":"#
        let usageNull = includeUsage ? #","usage":null"# : ""
        let filters = azure ? #","content_filter_results":{}"# : ""
        var events: [String] = []
        if azure {
            // Azure's leading chunk: no choices, empty id/model, only prompt filter results.
            events.append(
                #"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":\#(Self.azureFilters)}]}"#
            )
        }
        events.append(
            head
                + #"[{"index":0,"delta":{"role":"assistant","content":\#(self.toolCall == nil ? "\"\"" : "null")},"logprobs":null,"finish_reason":null\#(filters)}]"#
                + usageNull + "}"
        )
        for word in self.words {
            events.append(
                head
                    + #"[{"index":0,"delta":{"content":\#(JSONText.quoted(word))},"logprobs":null,"finish_reason":null\#(filters)}]"#
                    + usageNull + "}"
            )
        }
        if let call = self.toolCall {
            events.append(
                head
                    + #"[{"index":0,"delta":{"tool_calls":[{"index":0,"id":\#(JSONText.quoted(call.id)),"type":"function","function":{"name":\#(JSONText.quoted(call.name)),"arguments":""}}]},"logprobs":null,"finish_reason":null}]"#
                    + usageNull + "}"
            )
            for fragment in Self.halves(call.arguments.jsonText) {
                events.append(
                    head
                        + #"[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":\#(JSONText.quoted(fragment))}}]},"logprobs":null,"finish_reason":null}]"#
                        + usageNull + "}"
                )
            }
        }
        events.append(
            head + #"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"\#(self.openAIFinish)"\#(filters)}]"#
                + usageNull + "}"
        )
        if includeUsage { events.append(head + #"[],"usage":\#(self.usageJSON)}"#) }
        events.append("[DONE]")
        return events
    }

    static func halves(_ text: String) -> [String] {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [String(text[..<middle]), String(text[middle...])].filter { !$0.isEmpty }
    }

    // MARK: Bedrock

    var bedrockUsage: String {
        #"{"inputTokens":\#(self.promptTokens),"outputTokens":\#(self.completionTokens),"totalTokens":\#(self.promptTokens + self.completionTokens),"cacheReadInputTokens":0,"cacheWriteInputTokens":0}"#
    }

    func converseJSON() -> String {
        var content: [String] = []
        if self.toolCall == nil { content.append(#"{"text":\#(JSONText.quoted(self.words.joined()))}"#) }
        if let call = self.toolCall {
            content.append(
                #"{"toolUse":{"toolUseId":\#(JSONText.quoted(call.id)),"name":\#(JSONText.quoted(call.name)),"input":\#(call.arguments.jsonText)}}"#
            )
        }
        let stop = self.toolCall == nil ? "end_turn" : "tool_use"
        return
            #"{"output":{"message":{"role":"assistant","content":[\#(content.joined(separator: ","))]}},"stopReason":"\#(stop)","usage":\#(self.bedrockUsage),"metrics":{"latencyMs":12}}"#
    }

    func converseStreamFrames() -> [[UInt8]] {
        var frames = [
            EventStreamEncoder.event("messageStart", payload: Array(#"{"role":"assistant","p":"abcd"}"#.utf8))
        ]
        if let call = self.toolCall {
            frames.append(
                EventStreamEncoder.event(
                    "contentBlockStart",
                    payload: Array(
                        #"{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":\#(JSONText.quoted(call.id)),"name":\#(JSONText.quoted(call.name))}}}"#
                            .utf8
                    )
                )
            )
            for fragment in Self.halves(call.arguments.jsonText) {
                frames.append(
                    EventStreamEncoder.event(
                        "contentBlockDelta",
                        payload: Array(
                            #"{"contentBlockIndex":0,"delta":{"toolUse":{"input":\#(JSONText.quoted(fragment))}}}"#.utf8
                        )
                    )
                )
            }
        } else {
            for word in self.words {
                frames.append(
                    EventStreamEncoder.event(
                        "contentBlockDelta",
                        payload: Array(
                            #"{"contentBlockIndex":0,"delta":{"text":\#(JSONText.quoted(word))},"p":"xy"}"#.utf8
                        )
                    )
                )
            }
        }
        frames.append(EventStreamEncoder.event("contentBlockStop", payload: Array(#"{"contentBlockIndex":0}"#.utf8)))
        let stop = self.toolCall == nil ? "end_turn" : "tool_use"
        frames.append(EventStreamEncoder.event("messageStop", payload: Array(#"{"stopReason":"\#(stop)"}"#.utf8)))
        frames.append(
            EventStreamEncoder.event(
                "metadata",
                payload: Array(#"{"usage":\#(self.bedrockUsage),"metrics":{"latencyMs":12}}"#.utf8)
            )
        )
        return frames
    }

    // MARK: Anthropic

    var anthropicStop: String { self.toolCall == nil ? "end_turn" : "tool_use" }

    func anthropicJSON() -> String {
        var content: [String] = []
        if self.toolCall == nil { content.append(#"{"type":"text","text":\#(JSONText.quoted(self.words.joined()))}"#) }
        if let call = self.toolCall {
            content.append(
                #"{"type":"tool_use","id":\#(JSONText.quoted(call.id)),"name":\#(JSONText.quoted(call.name)),"input":\#(call.arguments.jsonText)}"#
            )
        }
        return
            #"{"id":"msg_\#(self.id)","type":"message","role":"assistant","model":\#(JSONText.quoted(self.model)),"content":[\#(content.joined(separator: ","))],"stop_reason":"\#(self.anthropicStop)","stop_sequence":null,"usage":{"input_tokens":\#(self.promptTokens),"output_tokens":\#(self.completionTokens),"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#
    }

    func anthropicEvents() -> [String] {
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        var events = [
            event(
                "message_start",
                #"{"type":"message_start","message":{"id":"msg_\#(self.id)","type":"message","role":"assistant","model":\#(JSONText.quoted(self.model)),"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(self.promptTokens),"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}"#
            )
        ]
        if let call = self.toolCall {
            events.append(
                event(
                    "content_block_start",
                    #"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":\#(JSONText.quoted(call.id)),"name":\#(JSONText.quoted(call.name)),"input":{}}}"#
                )
            )
            events.append(event("ping", #"{"type": "ping"}"#))
            for fragment in Self.halves(call.arguments.jsonText) {
                events.append(
                    event(
                        "content_block_delta",
                        #"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":\#(JSONText.quoted(fragment))}}"#
                    )
                )
            }
        } else {
            events.append(
                event(
                    "content_block_start",
                    #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
                )
            )
            events.append(event("ping", #"{"type": "ping"}"#))
            for word in self.words {
                events.append(
                    event(
                        "content_block_delta",
                        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\#(JSONText.quoted(word))}}"#
                    )
                )
            }
        }
        events.append(event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
        events.append(
            event(
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"\#(self.anthropicStop)","stop_sequence":null},"usage":{"output_tokens":\#(self.completionTokens)}}"#
            )
        )
        events.append(event("message_stop", #"{"type":"message_stop"}"#))
        return events
    }

    // MARK: Gemini

    var geminiUsage: String {
        #"{"promptTokenCount":\#(self.promptTokens),"candidatesTokenCount":\#(self.completionTokens),"totalTokenCount":\#(self.promptTokens + self.completionTokens)}"#
    }

    func geminiJSON() -> String {
        let part: String
        if let call = self.toolCall {
            part = #"{"functionCall":{"name":\#(JSONText.quoted(call.name)),"args":\#(call.arguments.jsonText)}}"#
        } else {
            part = #"{"text":\#(JSONText.quoted(self.words.joined()))}"#
        }
        return
            #"{"candidates":[{"content":{"role":"model","parts":[\#(part)]},"finishReason":"STOP","index":0}],"usageMetadata":\#(self.geminiUsage),"modelVersion":\#(JSONText.quoted(self.model)),"responseId":"\#(self.id)"}"#
    }

    func geminiEvents() -> [String] {
        var chunks: [String] = []
        if let call = self.toolCall {
            chunks.append(
                #"{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":\#(JSONText.quoted(call.name)),"args":\#(call.arguments.jsonText)}}]},"finishReason":"STOP","index":0}],"usageMetadata":\#(self.geminiUsage),"modelVersion":\#(JSONText.quoted(self.model))}"#
            )
        } else {
            let words = self.words
            for (index, word) in words.enumerated() {
                let finish = index == words.count - 1 ? #","finishReason":"STOP""# : ""
                let usage = index == words.count - 1 ? #","usageMetadata":\#(self.geminiUsage)"# : ""
                chunks.append(
                    #"{"candidates":[{"content":{"role":"model","parts":[{"text":\#(JSONText.quoted(word))}]}\#(finish),"index":0}]\#(usage),"modelVersion":\#(JSONText.quoted(self.model))}"#
                )
            }
            if words.isEmpty {
                chunks.append(
                    #"{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"finishReason":"STOP","index":0}],"usageMetadata":\#(self.geminiUsage)}"#
                )
            }
        }
        return chunks.map { "data: \($0)\r\n\r\n" }
    }
}
