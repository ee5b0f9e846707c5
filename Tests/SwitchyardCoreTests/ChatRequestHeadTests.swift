import Foundation
import SwitchyardCore
import Testing

@Suite struct ChatRequestHeadTests {
    func parse(_ text: String) throws(GatewayError) -> ChatRequestHead { try ChatRequestHead.parse(Array(text.utf8)) }

    func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func readsRoutingFieldsOnly() throws {
        let head = try parse(
            #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"temperature":0.2}"#
        )
        #expect(head.model == "gpt-5")
        #expect(head.stream)
        #expect(head.clientWantsUsage)
        #expect(head.messageCount == 1)
    }

    @Test func rewritesTheModelAndLeavesEveryOtherByteAlone() throws {
        let original =
            #"{ "temperature" : 0.5,"model":"gpt-5", "messages":[{"role":"user","content":"caf\u00e9 \"q\""}],"n":1 }"#
        let head = try parse(original)
        let rewritten = String(
            decoding: head.upstreamBody(model: "openai.gpt-5-v1:0", includeUsage: true),
            as: UTF8.self
        )
        #expect(
            rewritten == original.replacingOccurrences(of: #""model":"gpt-5""#, with: #""model":"openai.gpt-5-v1:0""#)
        )
    }

    @Test func asksUpstreamForUsageWhenTheClientStreamsWithoutIt() throws {
        let head = try parse(#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}"#)
        #expect(!head.clientWantsUsage)
        let body = try object(head.upstreamBody(model: "t", includeUsage: true))
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["model"] as? String == "t")
    }

    @Test func overridesAnExplicitIncludeUsageFalse() throws {
        let head = try parse(
            #"{"stream_options":{"include_usage":false},"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}"#
        )
        #expect(!head.clientWantsUsage)
        let body = try object(head.upstreamBody(model: "t", includeUsage: true))
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
    }

    @Test func leavesNonStreamBodiesWithoutStreamOptions() throws {
        let head = try parse(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#)
        let body = try object(head.upstreamBody(model: "t", includeUsage: true))
        #expect(body["stream_options"] == nil)
    }

    @Test func decodesEscapedModelNames() throws {
        #expect(try parse(#"{"model":"gpt\u002d5","messages":[1]}"#).model == "gpt-5")
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[1]"#, "invalid_request", nil as String?),
        (#"[1,2]"#, "invalid_request", nil),
        (#"{"model":"m","messages":[1]} x"#, "invalid_request", nil),
        (#"{"model":"m","messages":[tru]}"#, "invalid_request", nil),
        (#"{"model":"m","messages":["a\x"]}"#, "invalid_request", nil),
        (#"{"messages":[1]}"#, "invalid_request", "model"),
        (#"{"model":5,"messages":[1]}"#, "invalid_request", "model"),
        (#"{"model":"m"}"#, "invalid_request", "messages"),
        (#"{"model":"m","messages":[]}"#, "invalid_request", "messages"),
        (#"{"model":"m","messages":{}}"#, "invalid_request", "messages"),
        (#"{"model":"m","messages":[1],"stream":"yes"}"#, "invalid_request", "stream"),
        ("", "invalid_request", nil),
    ])
    func rejectsBadBodiesWithA400(body: String, code: String, param: String?) {
        let error = #expect(throws: GatewayError.self) { try parse(body) }
        #expect(error?.code.rawValue == code)
        #expect(error?.code.status == 400)
        #expect(error?.param == param)
    }

    @Test func rejectsPathologicalNesting() {
        let deep =
            #"{"model":"m","messages":["# + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            + "]}"
        #expect(throws: GatewayError.self) { try parse(deep) }
    }

    @Test func errorBodiesHaveAllFourOpenAIKeys() throws {
        let body = GatewayError(code: .modelNotFound, message: "No \"x\".", param: "model").jsonBody()
        let decoded = try object(Array(body.utf8))
        let error = try #require(decoded["error"] as? [String: Any])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(error["message"] as? String == "No \"x\".")
        #expect(error["code"] as? String == "model_not_found")
        let withoutParam = try object(Array(GatewayError(code: .internalError, message: "m").jsonBody().utf8))
        #expect((withoutParam["error"] as? [String: Any])?["param"] is NSNull)
    }
}
