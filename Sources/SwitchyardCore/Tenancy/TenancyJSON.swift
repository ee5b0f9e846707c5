import Foundation

/// The JSON form of tenants, keys and audit records: what the admin API answers, what it
/// accepts, and how the store keeps a record's settings. Numbers keep their exact text, so a
/// budget of `"0.10"` USD is 100,000,000 nano-dollars, never a rounded double.
public enum TenancyJSON {
    /// Fields a tenant body may set.
    public static let tenantFields: Set<String> = [
        "id", "models", "clouds", "regions", "rpm", "tpm", "budget", "budgets", "alert_at", "metadata",
    ]
    /// Fields a key body may set.
    public static let keyFields: Set<String> = [
        "tenant", "name", "models", "clouds", "regions", "rpm", "tpm", "budget", "budgets", "alert_at", "metadata",
        "expires_at", "expires_in",
    ]

    // MARK: encoding

    /// A tenant as JSON.
    public static func encode(_ tenant: TenantRecord, source: String? = nil) -> JSONValue {
        var members: [(String, JSONValue?)] = [("id", .string(tenant.id))]
        if let source { members.append(("source", .string(source))) }
        members += Self.encode(access: tenant.access) + Self.encode(limits: tenant.limits)
        members += [
            ("metadata", Self.encode(metadata: tenant.metadata)),
            ("created_at", .string(InstantText.format(tenant.createdAt))),
            ("updated_at", .string(InstantText.format(tenant.updatedAt))),
        ]
        return .members(members)
    }

    /// A key as JSON (never the key itself).
    public static func encode(_ key: KeyRecord) -> JSONValue {
        var members: [(String, JSONValue?)] = [
            ("id", .string(key.id)), ("prefix", .string(key.prefix)), ("tenant", .string(key.tenant)),
            ("name", key.name.map(JSONValue.string) ?? .null),
        ]
        members += Self.encode(access: key.access) + Self.encode(limits: key.limits)
        members += [
            ("metadata", Self.encode(metadata: key.metadata)),
            ("created_at", .string(InstantText.format(key.createdAt))),
            ("expires_at", key.expiresAt.map { .string(InstantText.format($0)) } ?? .null),
            ("revoked_at", key.revokedAt.map { .string(InstantText.format($0)) } ?? .null),
        ]
        return .members(members)
    }

    /// An audit record as JSON.
    public static func encode(_ record: AuditRecord) -> JSONValue {
        .members([
            ("sequence", .number(String(record.sequence))),
            ("time", .string(InstantText.format(record.time))),
            ("actor", .string(record.actor)),
            ("action", .string(record.action)),
            ("target", .string(record.target)),
            ("before", record.before ?? .null),
            ("after", record.after ?? .null),
        ])
    }

    static func encode(access: AccessRules) -> [(String, JSONValue?)] {
        func list(_ values: [String]?) -> JSONValue { values.map { .array($0.map(JSONValue.string)) } ?? .null }
        return [("models", list(access.models)), ("clouds", list(access.clouds)), ("regions", list(access.regions))]
    }

    static func encode(limits: LimitSettings) -> [(String, JSONValue?)] {
        [
            ("rpm", limits.requestsPerMinute.map(JSONValue.int) ?? .null),
            ("tpm", limits.tokensPerMinute.map(JSONValue.int) ?? .null),
            (
                "budgets",
                .array(
                    limits.budgets.map {
                        .members([
                            ("usd", .string($0.amount.description)), ("usd_nanos", .number(String($0.amount.value))),
                            ("per", .string($0.period.rawValue)),
                        ])
                    }
                )
            ),
            ("alert_at", limits.alertPercent.map(JSONValue.int) ?? .null),
        ]
    }

    static func encode(metadata: [String: String]) -> JSONValue {
        .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    // MARK: decoding

    /// The members of a JSON object body, rejecting unknown fields.
    /// - Throws: ``GatewayError`` `invalid_request` naming the field.
    public static func members(_ body: JSONValue, allowed: Set<String>) throws(GatewayError) -> [String: JSONValue] {
        guard let members = body.objectValue else {
            throw GatewayError(code: .invalidRequest, message: "The body must be a JSON object.")
        }
        var result: [String: JSONValue] = [:]
        for (name, value) in members {
            guard allowed.contains(name) else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "Unknown field '\(name)' (expected one of: \(allowed.sorted().joined(separator: ", "))).",
                    param: name
                )
            }
            guard result[name] == nil else {
                throw GatewayError(code: .invalidRequest, message: "Field '\(name)' appears twice.", param: name)
            }
            result[name] = value
        }
        return result
    }

    /// Sets the access rules, limits and metadata present in `fields` (absent fields are kept,
    /// `null` clears).
    public static func apply(
        _ fields: [String: JSONValue],
        access: inout AccessRules,
        limits: inout LimitSettings,
        metadata: inout [String: String]
    ) throws(GatewayError) {
        if let value = fields["models"] { access.models = try Self.names(value, "models") }
        if let value = fields["clouds"] { access.clouds = try Self.names(value, "clouds") }
        if let value = fields["regions"] { access.regions = try Self.names(value, "regions") }
        if let value = fields["rpm"] { limits.requestsPerMinute = try Self.count(value, "rpm", max: 10_000_000) }
        if let value = fields["tpm"] { limits.tokensPerMinute = try Self.count(value, "tpm", max: 1_000_000_000) }
        if let value = fields["alert_at"] { limits.alertPercent = try Self.count(value, "alert_at", max: 100) }
        if fields["budget"] != nil && fields["budgets"] != nil {
            throw GatewayError(code: .invalidRequest, message: "Set 'budget' or 'budgets', not both.", param: "budget")
        }
        if let value = fields["budget"] {
            limits.budgets = value.isNull ? [] : [try Self.budget(value, "budget")]
        }
        if let value = fields["budgets"] {
            if value.isNull {
                limits.budgets = []
            } else {
                guard let items = value.arrayValue else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "'budgets' must be a list of {\"usd\", \"per\"}.",
                        param: "budgets"
                    )
                }
                var budgets: [Budget] = []
                for (index, item) in items.enumerated() { budgets.append(try Self.budget(item, "budgets[\(index)]")) }
                limits.budgets = budgets
            }
        }
        let periods = limits.budgets.map(\.period)
        if Set(periods).count != periods.count {
            throw GatewayError(code: .invalidRequest, message: "At most one budget per period.", param: "budgets")
        }
        if let value = fields["metadata"] {
            if value.isNull {
                metadata = [:]
            } else {
                guard let members = value.objectValue else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "'metadata' must be an object of strings.",
                        param: "metadata"
                    )
                }
                var result: [String: String] = [:]
                for (name, item) in members {
                    guard let text = item.stringValue, name.utf8.count <= 64, text.utf8.count <= 512 else {
                        throw GatewayError(
                            code: .invalidRequest,
                            message: "'metadata' values must be strings (names up to 64 bytes, values up to 512).",
                            param: "metadata.\(name)"
                        )
                    }
                    result[name] = text
                }
                guard result.count <= 32 else {
                    throw GatewayError(
                        code: .invalidRequest,
                        message: "At most 32 metadata entries.",
                        param: "metadata"
                    )
                }
                metadata = result
            }
        }
    }

    /// A tenant or key id: 1–64 of `A-Z a-z 0-9 _ . -`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            }
    }

    static func names(_ value: JSONValue, _ param: String) throws(GatewayError) -> [String]? {
        if value.isNull { return nil }
        guard let items = value.arrayValue else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param)' must be a list of strings or null.",
                param: param
            )
        }
        var names: [String] = []
        for item in items {
            guard let name = item.stringValue, !name.isEmpty else {
                throw GatewayError(
                    code: .invalidRequest,
                    message: "'\(param)' must hold non-empty strings.",
                    param: param
                )
            }
            names.append(name)
        }
        return names
    }

    static func count(_ value: JSONValue, _ param: String, max: Int) throws(GatewayError) -> Int? {
        if value.isNull { return nil }
        guard let number = value.intValue, (1...max).contains(number) else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param)' must be a whole number from 1 to \(max), or null.",
                param: param
            )
        }
        return number
    }

    static func budget(_ value: JSONValue, _ param: String) throws(GatewayError) -> Budget {
        guard case .object = value, let fields = try? Self.members(value, allowed: ["usd", "usd_nanos", "per"]) else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param)' must be {\"usd\": \"500.00\", \"per\": \"day\" | \"week\" | \"month\"}.",
                param: param
            )
        }
        let text: String?
        switch fields["usd"] {
        case .string(let value)?: text = value
        case .number(let value)?: text = value
        default: text = nil
        }
        guard let text, let price = TokenPrice(usdPerMillion: text), price.nanosPerMillion > 0 else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param).usd' must be a positive USD amount with at most 9 decimals.",
                param: param + ".usd"
            )
        }
        let periodText = fields["per"]?.stringValue ?? "month"
        guard let period = LimitPeriod(rawValue: periodText), period != .minute else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param).per' must be day, week or month.",
                param: param + ".per"
            )
        }
        return Budget(amount: USDNanos(price.nanosPerMillion), period: period)
    }

    static func instant(_ value: JSONValue?, _ param: String) throws(GatewayError) -> Date? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue, let date = InstantText.parse(text) else {
            throw GatewayError(
                code: .invalidRequest,
                message: "'\(param)' must be a UTC instant such as 2030-12-31T00:00:00Z.",
                param: param
            )
        }
        return date
    }

    // MARK: stored records

    /// Reads a tenant written by ``encode(_:source:)``.
    public static func decodeTenant(_ text: String) throws(GatewayError) -> TenantRecord {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch {
            throw GatewayError(code: .internalError, message: "A stored tenant is not valid JSON.")
        }
        guard let id = json["id"]?.stringValue else {
            throw GatewayError(code: .internalError, message: "A stored tenant has no id.")
        }
        var tenant = TenantRecord(
            id: id,
            createdAt: try Self.instant(json["created_at"], "created_at") ?? Date(timeIntervalSince1970: 0),
            updatedAt: try Self.instant(json["updated_at"], "updated_at")
        )
        let fields = Dictionary((json.objectValue ?? []).map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            .filter { Self.tenantFields.contains($0.key) && $0.key != "id" }
        try Self.apply(fields, access: &tenant.access, limits: &tenant.limits, metadata: &tenant.metadata)
        return tenant
    }

    /// Reads a key written by ``encode(_:)-(KeyRecord)``.
    public static func decodeKey(_ text: String) throws(GatewayError) -> KeyRecord {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch {
            throw GatewayError(code: .internalError, message: "A stored key is not valid JSON.")
        }
        guard let id = json["id"]?.stringValue, let prefix = json["prefix"]?.stringValue,
            let tenant = json["tenant"]?.stringValue
        else {
            throw GatewayError(code: .internalError, message: "A stored key lacks its id, prefix or tenant.")
        }
        var key = KeyRecord(
            id: id,
            prefix: prefix,
            tenant: tenant,
            name: json["name"]?.stringValue,
            createdAt: try Self.instant(json["created_at"], "created_at") ?? Date(timeIntervalSince1970: 0),
            expiresAt: try Self.instant(json["expires_at"], "expires_at"),
            revokedAt: try Self.instant(json["revoked_at"], "revoked_at")
        )
        let settable: Set<String> = ["models", "clouds", "regions", "rpm", "tpm", "budgets", "alert_at", "metadata"]
        let fields = Dictionary((json.objectValue ?? []).map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            .filter { settable.contains($0.key) }
        try Self.apply(fields, access: &key.access, limits: &key.limits, metadata: &key.metadata)
        return key
    }
}
