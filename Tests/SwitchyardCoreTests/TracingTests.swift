import Foundation
import Testing

@testable import SwitchyardCore

@Suite struct TracingTests {
    @Test func traceparentRoundTripsAndRejectsWhatTheSpecRejects() throws {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let context = try #require(TraceContext(traceparent: header))
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID == "00f067aa0ba902b7")
        #expect(context.sampled)
        #expect(context.traceparent == header)
        #expect(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
        // A future version may append fields; version 00 may not.
        #expect(TraceContext(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        for bad in [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            #expect(TraceContext(traceparent: bad) == nil, "\(bad)")
        }
        let id = TraceContext.randomID(bytes: 16)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit) && id == id.lowercased())
    }

    @Test func otlpJSONFollowsTheProtobufJSONMapping() throws {
        let span = SpanRecord(
            name: "chat \"gpt-5\"",
            kind: .client,
            traceID: "4bf92f3577b34da6a3ce929d0e0e4736",
            spanID: "00f067aa0ba902b7",
            parentSpanID: "a3ce929d0e0e4736",
            start: Date(timeIntervalSince1970: 1_800_000_000.25),
            end: Date(timeIntervalSince1970: 1_800_000_001.5),
            attributes: [("gen_ai.usage.input_tokens", .int(12)), ("ok", .bool(true)), ("x", .double(0.5))],
            errorMessage: "timeout"
        )
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(OTLPTraceJSON.encode([span], serviceName: "s")))
                as? [String: Any]
        )
        let resource = try #require((json["resourceSpans"] as? [[String: Any]])?.first)
        let scope = try #require((resource["scopeSpans"] as? [[String: Any]])?.first)
        let encoded = try #require((scope["spans"] as? [[String: Any]])?.first)
        #expect(encoded["name"] as? String == "chat \"gpt-5\"")
        #expect(encoded["kind"] as? Int == 3)
        #expect(encoded["parentSpanId"] as? String == "a3ce929d0e0e4736")
        #expect(encoded["startTimeUnixNano"] as? String == "1800000000250000000")
        #expect(encoded["endTimeUnixNano"] as? String == "1800000001500000000")
        let attributes = try #require(encoded["attributes"] as? [[String: Any]])
        #expect((attributes[0]["value"] as? [String: Any])?["intValue"] as? String == "12")
        #expect((attributes[1]["value"] as? [String: Any])?["boolValue"] as? Bool == true)
        #expect((encoded["status"] as? [String: Any])?["code"] as? Int == 2)
    }
}
