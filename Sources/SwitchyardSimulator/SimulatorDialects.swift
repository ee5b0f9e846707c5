import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// The wire dialects the simulator speaks.
enum SimulatorDialect: Sendable, Equatable {
    /// OpenAI `POST /v1/chat/completions`.
    case openAI
    /// Azure OpenAI (deployments or v1 URLs): OpenAI plus filter results and Azure errors.
    case azure
    /// Bedrock's OpenAI-compatible endpoint.
    case bedrockOpenAI
    /// Bedrock Converse / ConverseStream.
    case bedrock(stream: Bool)
    /// Anthropic Messages.
    case anthropic
    /// Gemini generateContent / streamGenerateContent.
    case gemini(stream: Bool)

    var isOpenAIShaped: Bool { self == .openAI || self == .azure || self == .bedrockOpenAI }
}

extension Request {
    /// A header's values joined with `,`, by case-insensitive name.
    func header(_ name: String) -> String? {
        let values = self.headers.filter { $0.name.canonicalName == name.lowercased() }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}

/// What the simulator reads from a request in any dialect.
struct DialectRequest {
    var model: String
    var stream: Bool
    var includeUsage: Bool
    var promptTokens: Int
    /// The first tool's name and parameter names, when the answer should call it.
    var tool: (name: String, properties: [String])?
}
