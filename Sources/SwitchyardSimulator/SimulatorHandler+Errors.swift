import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardProviders

/// Errors in each dialect's exact shape.
extension SimulatorHandler {
    static func dialectError(
        _ dialect: SimulatorDialect,
        status: Int,
        message: String,
        retryAfter: Int? = nil
    )
        -> Response
    {
        var headers = HTTPFields()
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let httpStatus = HTTPResponse.Status(code: status)
        switch dialect {
        case .openAI, .bedrockOpenAI:
            let (type, code) = Self.errorKind(status)
            return Response.json(Self.errorBody(message, type: type, code: code), status: httpStatus, headers: headers)
        case .azure:
            let text =
                status == 429
                ? "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current tier. Please retry after \(retryAfter ?? 1) seconds."
                : message
            return Response.json(
                #"{"error":{"code":"\#(status)","message":\#(JSONText.quoted(text))}}"#,
                status: httpStatus,
                headers: headers
            )
        case .bedrock:
            let type: String
            switch status {
            case 400: type = "ValidationException"
            case 403: type = "AccessDeniedException"
            case 404: type = "ResourceNotFoundException"
            case 408: type = "ModelTimeoutException"
            case 424: type = "ModelErrorException"
            case 429: type = "ThrottlingException"
            case 503: type = "ServiceUnavailableException"
            default: type = "InternalServerException"
            }
            var response = Self.bedrockError(status: status, type: type, message: message)
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        case .anthropic:
            let type: String
            switch status {
            case 400: type = "invalid_request_error"
            case 401: type = "authentication_error"
            case 403: type = "permission_error"
            case 404: type = "not_found_error"
            case 413: type = "request_too_large"
            case 429: type = "rate_limit_error"
            case 503, 529: type = "overloaded_error"
            case 504: type = "timeout_error"
            default: type = "api_error"
            }
            return Response.json(
                #"{"type":"error","error":{"type":"\#(type)","message":\#(JSONText.quoted(message))},"request_id":"req_sim"}"#,
                status: httpStatus,
                headers: headers
            )
        case .gemini:
            let name: String
            switch status {
            case 400: name = "INVALID_ARGUMENT"
            case 401: name = "UNAUTHENTICATED"
            case 403: name = "PERMISSION_DENIED"
            case 404: name = "NOT_FOUND"
            case 429: name = "RESOURCE_EXHAUSTED"
            case 503: name = "UNAVAILABLE"
            case 504: name = "DEADLINE_EXCEEDED"
            default: name = "INTERNAL"
            }
            return Response.json(
                #"{"error":{"code":\#(status),"message":\#(JSONText.quoted(message)),"status":"\#(name)"}}"#,
                status: httpStatus,
                headers: headers
            )
        }
    }

    static func bedrockError(status: Int, type: String, message: String) -> Response {
        var headers = HTTPFields()
        if let name = HTTPField.Name("x-amzn-ErrorType") {
            headers[name] = "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/"
        }
        if let name = HTTPField.Name("x-amzn-RequestId") { headers[name] = "sim-\(UInt32.random(in: 0...UInt32.max))" }
        return Response.json(
            #"{"message":\#(JSONText.quoted(message))}"#,
            status: HTTPResponse.Status(code: status),
            headers: headers
        )
    }
}
