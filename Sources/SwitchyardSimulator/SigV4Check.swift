import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Recomputes a SigV4 signature from the request as received.
enum SigV4Check {
    /// Nil when the request is correctly signed by `credentials` for service `bedrock`; otherwise why not.
    static func verify(_ request: Request, body: [UInt8], credentials: AWSCredentials) -> String? {
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("AWS4-HMAC-SHA256 ") else {
            return "Missing Authentication Token"
        }
        var fields: [String: String] = [:]
        for item in authorization.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else { return "Authorization header requires Credential, SignedHeaders and Signature." }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[0] == credentials.accessKeyID else {
            return "The security token included in the request is invalid."
        }
        guard scope[3] == "bedrock", scope[4] == "aws4_request" else {
            return "Credential should be scoped to bedrock."
        }
        let names = signedHeaders.split(separator: ";").map(String.init)
        guard names.contains("host"), names.contains("x-amz-date") else {
            return "host and x-amz-date must be signed."
        }
        if let token = credentials.sessionToken {
            guard names.contains("x-amz-security-token"), request.header("x-amz-security-token") == token.value else {
                return "The security token included in the request is invalid."
            }
        }
        guard let amzDate = request.header("x-amz-date"), let date = Self.date(amzDate), amzDate.hasPrefix(scope[1])
        else { return "x-amz-date is missing or invalid." }
        var headers: [(String, String)] = []
        for name in names {
            // HTTPTypes moves `Host` into the request's authority.
            guard let value = name == "host" ? request.head.authority : request.header(name) else {
                return "Signed header \(name) is missing."
            }
            headers.append((name, value))
        }
        // The request target exactly as received (percent-encoding intact), split at `?`.
        let target = request.head.path ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let signer = SigV4(credentials: credentials, region: scope[2], service: "bedrock")
        let expected = signer.sign(
            method: request.method.rawValue,
            path: String(parts[0]),
            query: parts.count > 1 ? String(parts[1]) : "",
            headers: headers,
            payloadHash: SigV4.sha256Hex(body),
            date: date
        )
        guard expected.signature == signature else {
            return "The request signature we calculated does not match the signature you provided."
        }
        return nil
    }

    static func date(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: digits[range], as: UTF8.self)) }
        var components = DateComponents()
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = number(9..<11)
        components.minute = number(11..<13)
        components.second = number(13..<15)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.date(from: components)
    }
}
