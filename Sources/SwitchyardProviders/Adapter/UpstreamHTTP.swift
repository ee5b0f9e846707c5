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

    /// `retry-after` (seconds or HTTP date) or `retry-after-ms`, else the longest of
    /// `x-ratelimit-reset-requests` and `x-ratelimit-reset-tokens` (`1s`, `6m0s`, `20ms`),
    /// rounded up to whole seconds.
    static func retryAfterSeconds(_ headers: HTTPHeaders) -> Int? {
        if let text = headers.first(name: "retry-after-ms"), let millis = Double(text), millis >= 0 {
            return Int((millis / 1000).rounded(.up))
        }
        guard let text = headers.first(name: "retry-after") else {
            let resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"].compactMap { name in
                headers.first(name: name).flatMap(Self.resetSeconds)
            }
            return resets.max().map { Int($0.rounded(.up)) }
        }
        if let seconds = Double(text), seconds >= 0 { return Int(seconds.rounded(.up)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, Int(date.timeIntervalSinceNow.rounded(.up)))
    }

    /// A rate-limit reset written as a Go duration (`1s`, `6m0s`, `1h2m3.5s`, `20ms`) or plain seconds.
    static func resetSeconds(_ text: String) -> Double? {
        if let seconds = Double(text) { return seconds >= 0 ? seconds : nil }
        var total = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            case "us", "µs": total += value / 1_000_000
            case "ns": total += value / 1_000_000_000
            default: return nil
            }
        }
        return total
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
