import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchyardCore

/// HTTP plumbing shared by every adapter: deadlines, error classification, error bodies.
enum UpstreamHTTP {
    /// Sends `request`; the timeout covers connecting and the response head only. Idle time
    /// between body chunks is bounded by the client's read timeout.
    static func execute(
        _ request: HTTPClientRequest,
        client: HTTPClient,
        timeout: Duration,
        logger: Logger
    ) async throws(UpstreamError) -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: TimeAmount(timeout), logger: logger)
        } catch {
            throw Self.classify(error)
        }
    }

    /// Maps a transport error to an ``UpstreamError`` without leaking details.
    static func classify(_ error: any Error, streaming: Bool = false) -> UpstreamError {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return UpstreamError(
                    kind: .timeout,
                    message: streaming ? "the upstream stream stalled" : "the upstream did not answer in time"
                )
            case .remoteConnectionClosed:
                return UpstreamError(
                    kind: streaming ? .streamInterrupted : .connectFailed,
                    message: "the upstream closed the connection"
                )
            case .cancelled:
                return UpstreamError(kind: .streamInterrupted, message: "the request was cancelled")
            default: break
            }
        }
        if error is NIOTooManyBytesError {
            return UpstreamError(kind: .malformedResponse, message: "the upstream answer is too large")
        }
        if streaming {
            return UpstreamError(kind: .streamInterrupted, message: "the upstream stream broke")
        }
        return UpstreamError(kind: .connectFailed, message: "the upstream could not be reached")
    }

    /// Reads a non-200 answer into an ``UpstreamError`` (status, retry-after, pass-through body
    /// for final client errors).
    static func statusError(_ response: HTTPClientResponse) async -> UpstreamError {
        let status = Int(response.status.code)
        let body = try? await response.body.collect(upTo: 64 << 10)
        var error = UpstreamError(
            kind: .status,
            status: status,
            retryAfterSeconds: Self.retryAfterSeconds(response.headers),
            message: "the upstream answered HTTP \(status)"
        )
        if !error.isRetryable, let body {
            let bytes = Array(body.readableBytesView)
            if OpenAIErrorBody.isWellFormed(bytes) { error.clientErrorBody = bytes }
        }
        return error
    }

    /// `retry-after` (seconds or HTTP date) or `retry-after-ms`, rounded up to whole seconds.
    static func retryAfterSeconds(_ headers: HTTPHeaders) -> Int? {
        if let text = headers.first(name: "retry-after-ms"), let millis = Double(text), millis >= 0 {
            return Int((millis / 1000).rounded(.up))
        }
        guard let text = headers.first(name: "retry-after") else { return nil }
        if let seconds = Double(text), seconds >= 0 { return Int(seconds.rounded(.up)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, Int(date.timeIntervalSinceNow.rounded(.up)))
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
