import Crypto
import Foundation
import SwitchyardCore

/// AWS Signature Version 4 (header form), as botocore's `SigV4Auth` computes it (§4 of the wire
/// reference). Pure: the time is a parameter.
public struct SigV4: Sendable {
    /// The credentials.
    public var credentials: AWSCredentials
    /// The signing region (`us-east-1`).
    public var region: String
    /// The signing service (`bedrock`).
    public var service: String

    /// Creates a signer.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Everything a signature is computed from and its result.
    public struct Signature: Sendable {
        /// The canonical request (step 7).
        public var canonicalRequest: String
        /// The string to sign (step 8).
        public var stringToSign: String
        /// The hex signature (step 10).
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String
        /// `X-Amz-Date`.
        public var amzDate: String
    }

    /// Signs a request.
    /// - Parameters:
    ///   - method: `POST`.
    ///   - path: the path as sent on the wire (already percent-encoded), e.g. `/model/x%3A0/converse`.
    ///   - query: the raw query string without `?` (may be empty).
    ///   - headers: the headers to sign (name, value), `host` and `x-amz-date` included (and
    ///     `x-amz-security-token` with temporary credentials).
    ///   - payloadHash: lowercase hex SHA-256 of the body.
    ///   - date: the signing time (same as in `x-amz-date`).
    ///   - doubleEncodePath: true for every service except S3.
    public func sign(
        method: String,
        path: String,
        query: String,
        headers: [(String, String)],
        payloadHash: String,
        date: Date,
        doubleEncodePath: Bool = true
    ) -> Signature {
        let (amzDate, dateStamp) = Self.timestamps(date)
        var canonicalURI = Self.normalizePath(path)
        if doubleEncodePath { canonicalURI = Self.percentEncode(canonicalURI, keepSlash: true) }
        let canonicalQuery = Self.canonicalQuery(query)

        var grouped: [String: [String]] = [:]
        for (name, value) in headers { grouped[name.lowercased(), default: []].append(Self.trimHeaderValue(value)) }
        let names = grouped.keys.sorted()
        var canonicalHeaders = ""
        for name in names { canonicalHeaders += "\(name):\(grouped[name, default: []].joined(separator: ","))\n" }
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [method, canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let scope = "\(dateStamp)/\(self.region)/\(self.service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ]
        .joined(separator: "\n")
        let key = self.signingKey(dateStamp: dateStamp)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            authorization:
                "AWS4-HMAC-SHA256 Credential=\(self.credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)",
            amzDate: amzDate
        )
    }

    /// The signing key chain (step 9).
    func signingKey(dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(self.credentials.secretAccessKey.value)".utf8))
        for part in [dateStamp, self.region, self.service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// `X-Amz-Date` (`20250115T120000Z`) and the date stamp (`20250115`).
    public static func timestamps(_ date: Date) -> (amzDate: String, dateStamp: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let day = pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
        return (day + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z", day)
    }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: some DataProtocol) -> String { Self.hex(SHA256.hash(data: bytes)) }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 percent-encoding keeping only `A-Z a-z 0-9 - _ . ~` (and `/` when asked), uppercase hex.
    public static func percentEncode(_ text: String, keepSlash: Bool = false) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash: out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Removes dot segments and repeated slashes (botocore's `normalize_url_path`).
    static func normalizePath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && normalized != "/" { normalized += "/" }
        return normalized
    }

    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(String(parts[0]))
            let value = parts.count > 1 ? Self.decode(String(parts[1])) : ""
            pairs.append((Self.percentEncode(name), Self.percentEncode(value)))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    private static func decode(_ text: String) -> String { text.removingPercentEncoding ?? text }

    /// Trims a header value and collapses inner whitespace runs to one space.
    static func trimHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
