import SwitchyardCore
import Testing

/// The provider kinds of issue 3 in the configuration file.
@Suite struct ProviderConfigTests {
    static func yaml(_ providers: String) -> String {
        """
        providers:
        \(providers)
        models:
          m: {deployments: [{provider: p}]}
        """
    }

    static func problems(_ yaml: String, environment: [String: String] = [:]) -> String {
        do {
            _ = try GatewayConfig.load(yaml: yaml, environment: environment)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func everyKindWithItsFields() throws {
        let config = try GatewayConfig.load(
            yaml: Self.yaml(
                """
                  p: {type: azure-openai, cloud: azure, base_url: "https://r.openai.azure.com/", api_key: k, url_form: v1}
                  b: {type: bedrock, cloud: aws, region: us-west-2, access_key_id: AK, secret_access_key: SK, session_token: T, default_max_tokens: 512}
                  a: {type: anthropic, cloud: anthropic, api_key: k, api_version: "2023-06-01"}
                  g: {type: gemini, cloud: gcp, api_key: k}
                  e: {type: azure-openai, cloud: azure, base_url: "https://r.openai.azure.com", entra_token: t}
                """
            ),
            environment: [:]
        )
        let azure = try #require(config.provider("p"))
        #expect(azure.kind == .azureOpenAI && azure.baseURL == "https://r.openai.azure.com")
        #expect(azure.options.azureURLForm == .v1)
        let bedrock = try #require(config.provider("b"))
        #expect(bedrock.baseURL == "https://bedrock-runtime.us-west-2.amazonaws.com")
        #expect(bedrock.options.awsCredentials?.accessKeyID == "AK")
        #expect(bedrock.options.awsCredentials?.sessionToken?.value == "T")
        #expect(bedrock.options.defaultMaxTokens == 512)
        #expect(config.provider("a")?.baseURL == "https://api.anthropic.com")
        #expect(config.provider("g")?.baseURL == "https://generativelanguage.googleapis.com/v1beta")
        #expect(config.provider("e")?.options.bearerToken?.value == "t")
    }

    @Test func bedrockCredentialsComeFromTheStandardVariables() throws {
        let yaml = Self.yaml("  p: {type: bedrock, cloud: aws, region: eu-west-1}")
        let signed = try GatewayConfig.load(
            yaml: yaml,
            environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK"]
        )
        #expect(signed.provider("p")?.options.awsCredentials?.secretAccessKey.value == "SK")
        #expect(signed.provider("p")?.options.awsCredentials?.sessionToken?.value == "TOK")
        let bearer = try GatewayConfig.load(yaml: yaml, environment: ["AWS_BEARER_TOKEN_BEDROCK": "BK"])
        #expect(bearer.provider("p")?.options.bearerToken?.value == "BK")
        #expect(bearer.provider("p")?.options.awsCredentials == nil)
    }

    @Test func problemsNameThePathAndHideSecrets() {
        let missing = Self.problems(Self.yaml("  p: {type: bedrock, cloud: aws}"))
        #expect(missing.contains("providers.p.region"))
        #expect(missing.contains("needs AWS credentials"))
        let wrongField = Self.problems(
            Self.yaml("  p: {type: openai, cloud: x, base_url: \"https://x\", secret_access_key: hunter2}")
        )
        #expect(wrongField.contains("providers.p.secret_access_key") && wrongField.contains("does not apply"))
        #expect(!wrongField.contains("hunter2"))
        let both = Self.problems(
            Self.yaml(
                "  p: {type: azure-openai, cloud: azure, base_url: \"https://x\", api_key: s3cret, entra_token: t0ken}"
            )
        )
        #expect(both.contains("either api_key or entra_token") && !both.contains("s3cret") && !both.contains("t0ken"))
        #expect(
            Self.problems(Self.yaml("  p: {type: azure-openai, cloud: azure, base_url: \"https://x\"}")).contains(
                "api_key"
            )
        )
        #expect(Self.problems(Self.yaml("  p: {type: anthropic, cloud: a}")).contains("providers.p.api_key"))
        #expect(
            Self.problems(
                Self.yaml("  p: {type: azure-openai, cloud: azure, base_url: \"https://x\", api_key: k, url_form: v2}")
            )
            .contains("expected deployments or v1")
        )
        #expect(Self.problems(Self.yaml("  p: {type: vertex, cloud: g, base_url: \"https://x\"}")).contains("bedrock"))
    }
}
