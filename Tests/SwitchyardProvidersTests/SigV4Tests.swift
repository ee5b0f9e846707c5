import Crypto
import Foundation
import SwitchyardCore
import Testing

@testable import SwitchyardProviders

/// SigV4 against the worked Bedrock example and the public aws-c-auth vectors (§4.2–4.3 of the
/// wire reference).
@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE",
        secretAccessKey: Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    )
    static let bedrockDate = Date(timeIntervalSince1970: 1_736_942_400)  // 2025-01-15T12:00:00Z
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let body = #"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":64}}"#

    @Test func workedBedrockConverseExample() {
        let signer = SigV4(credentials: Self.credentials, region: "us-east-1", service: "bedrock")
        #expect(
            SigV4.sha256Hex(Array(Self.body.utf8)) == "f5b802cc64a01910fd197a46e9e959f3a5795f7728fa5710fb28f1ec3019f545"
        )
        let result = signer.sign(
            method: "POST",
            path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
            query: "",
            headers: [
                ("Content-Type", "application/json"), ("Host", "bedrock-runtime.us-east-1.amazonaws.com"),
                ("X-Amz-Date", "20250115T120000Z"),
            ],
            payloadHash: SigV4.sha256Hex(Array(Self.body.utf8)),
            date: Self.bedrockDate
        )
        #expect(
            result.canonicalRequest == """
                POST
                /model/anthropic.claude-3-haiku-20240307-v1%253A0/converse

                content-type:application/json
                host:bedrock-runtime.us-east-1.amazonaws.com
                x-amz-date:20250115T120000Z

                content-type;host;x-amz-date
                f5b802cc64a01910fd197a46e9e959f3a5795f7728fa5710fb28f1ec3019f545
                """
        )
        #expect(
            result.stringToSign == """
                AWS4-HMAC-SHA256
                20250115T120000Z
                20250115/us-east-1/bedrock/aws4_request
                737104209ed062a1306e7c4dbd8c74dac9720a8fd4fa24098a860e191bcea01d
                """
        )
        let key = signer.signingKey(dateStamp: "20250115").withUnsafeBytes { SigV4.hex(Array($0)) }
        #expect(key == "37edfb24f5de86dab7e5ace2798293a9db6342415fcd636d42c7a7199dbe6188")
        #expect(result.signature == "b7e826ad1ae7f99f0248255cc7bbcddd9d1fcfa4aa9a84a9670417d17c659773")
        #expect(
            result.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=b7e826ad1ae7f99f0248255cc7bbcddd9d1fcfa4aa9a84a9670417d17c659773"
        )
        #expect(result.amzDate == "20250115T120000Z")
    }

    @Test func workedBedrockExampleWithSessionToken() {
        var credentials = Self.credentials
        credentials.sessionToken = Secret("FQoGZXIvYXdzEXAMPLESESSIONTOKEN")
        let signer = SigV4(credentials: credentials, region: "us-east-1", service: "bedrock")
        let result = signer.sign(
            method: "POST",
            path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
            query: "",
            headers: [
                ("content-type", "application/json"), ("host", "bedrock-runtime.us-east-1.amazonaws.com"),
                ("x-amz-date", "20250115T120000Z"), ("x-amz-security-token", "FQoGZXIvYXdzEXAMPLESESSIONTOKEN"),
            ],
            payloadHash: SigV4.sha256Hex(Array(Self.body.utf8)),
            date: Self.bedrockDate
        )
        #expect(
            SigV4.sha256Hex(Array(result.canonicalRequest.utf8))
                == "7dc0699f46a95f1b2bceaecb25f1f52e24abc8068a380e6fb7dc01149ec14269"
        )
        #expect(result.signature == "e07be13d93553904f88711aa036f159469a3c89a6e7324d152fae8de95c9010e")
    }

    /// aws-c-auth `tests/aws-signing-test-suite/v4/<case>` (service `service`, 2015-08-30T12:36:00Z).
    @Test(arguments: [
        ("post-vanilla", "POST", "/", "", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        (
            "get-vanilla-with-session-token", "GET", "/", "",
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        ),
        ("get-utf8", "GET", "/ሴ", "", "", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        (
            "get-space-normalized", "GET", "/example space/", "", "",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"
        ),
        (
            "get-vanilla-query-order-encoded", "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", "",
            "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"
        ),
    ])
    func awsSigningSuite(name: String, method: String, path: String, query: String, token: String, expected: String) {
        var credentials = Self.credentials
        var headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
        if !token.isEmpty {
            credentials.sessionToken = Secret(token)
            headers.append(("X-Amz-Security-Token", token))
        }
        let signer = SigV4(credentials: credentials, region: "us-east-1", service: "service")
        let result = signer.sign(
            method: method,
            path: path,
            query: query,
            headers: headers,
            payloadHash: SigV4.sha256Hex([UInt8]()),
            date: Self.suiteDate
        )
        #expect(result.signature == expected, "\(name)")
    }

    @Test func headerValuesAreTrimmedAndRepeatedHeadersJoined() {
        #expect(SigV4.trimHeaderValue("  a   b\tc  ") == "a b c")
        let signer = SigV4(credentials: Self.credentials, region: "us-east-1", service: "service")
        let result = signer.sign(
            method: "GET",
            path: "/",
            query: "",
            headers: [
                ("My-Header1", "value2"), ("My-Header1", "value1"), ("Host", "h"), ("X-Amz-Date", "20150830T123600Z"),
            ],
            payloadHash: SigV4.sha256Hex([UInt8]()),
            date: Self.suiteDate
        )
        #expect(result.canonicalRequest.contains("my-header1:value2,value1\n"))
    }

    @Test func pathsAreNormalised() {
        #expect(SigV4.normalizePath("//a/./b/../c//") == "/a/c/")
        #expect(SigV4.normalizePath("") == "/")
        #expect(SigV4.percentEncode("openai.gpt-5-v1:0") == "openai.gpt-5-v1%3A0")
        #expect(
            SigV4.percentEncode("arn:aws:bedrock:us-east-1:1:inference-profile/x")
                == "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx"
        )
    }

    @Test func timestamps() {
        let (amzDate, day) = SigV4.timestamps(Self.bedrockDate)
        #expect(amzDate == "20250115T120000Z")
        #expect(day == "20250115")
    }
}
