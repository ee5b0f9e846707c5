import SwitchyardCore
import SwitchyardProviders
import Testing

@Suite struct UpstreamErrorTests {
    @Test(arguments: [
        (401, true), (403, true), (408, true), (429, true), (500, true), (502, true), (503, true), (504, true),
        (400, false), (404, false), (409, false), (413, false), (422, false),
    ])
    func statusesThatAnotherDeploymentCouldServeAreRetryable(status: Int, retryable: Bool) {
        #expect(UpstreamError(kind: .status, status: status, message: "x").isRetryable == retryable)
    }

    @Test(arguments: [UpstreamError.Kind.connectFailed, .timeout, .malformedResponse, .streamInterrupted])
    func transportFailuresAreRetryable(kind: UpstreamError.Kind) {
        #expect(UpstreamError(kind: kind, message: "x").isRetryable)
    }

    @Test(arguments: [
        (
            UpstreamError(kind: .status, status: 429, retryAfterSeconds: 7, message: "m"), 429, "rate_limit_exceeded",
            7 as Int?
        ),
        (UpstreamError(kind: .status, status: 503, message: "m"), 503, "upstream_unavailable", 1),
        (UpstreamError(kind: .status, status: 500, message: "m"), 502, "upstream_error", nil),
        (UpstreamError(kind: .status, status: 504, message: "m"), 504, "upstream_timeout", nil),
        (UpstreamError(kind: .timeout, message: "m"), 504, "upstream_timeout", nil),
        (UpstreamError(kind: .connectFailed, message: "m"), 502, "upstream_error", nil),
        (UpstreamError(kind: .status, status: 422, message: "m"), 422, "invalid_request", nil),
    ])
    func theLastFailureDecidesWhatTheClientSees(error: UpstreamError, status: Int, code: String, retryAfter: Int?) {
        #expect(error.gatewayError.code.status == status)
        #expect(error.gatewayError.code.rawValue == code)
        #expect(error.gatewayError.retryAfterSeconds == retryAfter)
    }
}
