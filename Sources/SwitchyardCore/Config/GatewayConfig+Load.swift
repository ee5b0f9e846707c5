import Foundation
import Yams

extension GatewayConfig {
    /// Parses and validates a YAML configuration.
    ///
    /// `${VAR}` (or `${VAR:-default}`) in any string value is replaced from `environment`;
    /// a variable that is not set is an error naming it. Errors name the field's path and never
    /// print the value of a secret field.
    /// - Throws: ``ConfigError`` listing every problem.
    public static func load(yaml: String, environment: [String: String]) throws -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            var message = "not valid YAML: \(Self.describe(error))"
            if let line = Self.line(of: error),
                let text = yaml.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first,
                text.contains("${") && text.contains("{")
            {
                message += #" (inside {…} write "${VAR}" in quotes, e.g. api_key: "${OPENAI_API_KEY}")"#
            }
            throw ConfigError(issues: [ConfigIssue(path: "", message: message)])
        }
        guard let root else { throw ConfigError(issues: [ConfigIssue(path: "", message: "the file is empty")]) }
        var reader = ConfigReader(environment: environment)
        let config = reader.readGateway(root)
        if let config, reader.issues.isEmpty { return config }
        throw ConfigError(issues: reader.issues)
    }

    /// Reads and validates the configuration file at `path`.
    /// - Throws: ``ConfigError``.
    public static func load(path: String, environment: [String: String]) throws -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError(issues: [ConfigIssue(path: "", message: "cannot read configuration file \(path)")])
        }
        return try Self.load(yaml: text, environment: environment)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func describe(_ error: YamlError) -> String {
        // YamlError's own description quotes the offending line, which may hold a secret: keep the position only.
        switch error {
        case .scanner(_, let problem, let mark, _): return "\(problem) at line \(mark.line)"
        case .parser(_, let problem, let mark, _): return "\(problem) at line \(mark.line)"
        case .composer(_, let problem, let mark, _): return "\(problem) at line \(mark.line)"
        default: return "syntax error"
        }
    }
}

/// Walks the YAML node tree, collecting every problem with its path (sections in
/// `GatewayConfig+Load*.swift`).
struct ConfigReader {
    let environment: [String: String]
    var issues: [ConfigIssue] = []

    init(environment: [String: String]) { self.environment = environment }

    mutating func fail(_ path: String, _ message: String) {
        self.issues.append(ConfigIssue(path: path, message: message))
    }

    // MARK: primitives

    /// The mapping's fields by name, reporting unknown and duplicate fields.
    mutating func fields(_ node: Node, _ path: String, allowed: Set<String>) -> [String: Node]? {
        guard let mapping = node.mapping else {
            self.fail(path, "expected a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            let fieldPath = Self.join(path, name)
            if !allowed.contains(name) {
                self.fail(fieldPath, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            } else if result[name] != nil {
                self.fail(fieldPath, "field appears twice")
            } else {
                result[name] = value
            }
        }
        return result
    }

    /// The entries of a mapping keyed by ids, in file order.
    mutating func entries(_ node: Node, _ path: String) -> [(String, Node)] {
        guard let mapping = node.mapping else {
            self.fail(path, "expected a mapping of names to entries")
            return []
        }
        var seen = Set<String>()
        var result: [(String, Node)] = []
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            if name.isEmpty {
                self.fail(path, "an entry has an empty name")
            } else if !seen.insert(name).inserted {
                self.fail(Self.join(path, name), "defined twice")
            } else {
                result.append((name, value))
            }
        }
        return result
    }

    /// A scalar string with `${VAR}` expanded. `secret` keeps the value out of messages.
    mutating func string(_ node: Node?, _ path: String) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar else {
            self.fail(path, "expected a single value")
            return nil
        }
        if scalar.tag == Tag(.null) && scalar.string.isEmpty || scalar.string == "~" { return nil }
        return self.expand(scalar.string, path)
    }

    mutating func requiredString(_ node: Node?, _ path: String) -> String? {
        guard let node else {
            self.fail(path, "is required")
            return nil
        }
        guard let value = self.string(node, path), !value.isEmpty else {
            if node.scalar != nil { self.fail(path, "must not be empty") }
            return nil
        }
        return value
    }

    mutating func expand(_ text: String, _ path: String) -> String? {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                self.fail(path, "unterminated ${ in value")
                return nil
            }
            let reference = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = reference.range(of: ":-") {
                name = reference[..<separator.lowerBound]
                fallback = reference[separator.upperBound...]
            } else {
                name = reference
                fallback = nil
            }
            if let value = self.environment[String(name)], !(value.isEmpty && fallback != nil) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                self.fail(path, "environment variable \(name) is not set")
                return nil
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    mutating func int(_ node: Node?, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let text = self.string(node, path) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            self.fail(path, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node?, _ path: String) -> Bool? {
        guard let text = self.string(node, path) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            self.fail(path, "expected true or false, got \"\(text)\"")
            return nil
        }
    }

    mutating func stringList(_ node: Node?, _ path: String) -> [String] {
        guard let node else { return [] }
        if node.scalar != nil { return self.string(node, path).map { [$0] } ?? [] }
        guard let sequence = node.sequence else {
            self.fail(path, "expected a list")
            return []
        }
        return sequence.enumerated().compactMap { self.string($0.element, "\(path)[\($0.offset)]") }
    }

    mutating func duration(_ node: Node?, _ path: String) -> Duration? {
        guard let text = self.string(node, path) else { return nil }
        guard let value = DurationText.parse(text) else {
            self.fail(path, "expected a duration such as 500ms, 2s, 5m, 1h or 30d, got \"\(text)\"")
            return nil
        }
        return value
    }

    mutating func price(_ node: Node?, _ path: String) -> PriceSheet? {
        guard let node else { return nil }
        guard let fields = self.fields(node, path, allowed: ["input", "output", "cached_input"]) else { return nil }
        func read(_ name: String, _ reader: inout ConfigReader) -> TokenPrice? {
            let fieldPath = Self.join(path, name)
            guard let text = reader.string(fields[name], fieldPath) else { return nil }
            guard let price = TokenPrice(usdPerMillion: text) else {
                reader.fail(fieldPath, "expected USD per million tokens with at most 9 decimals, got \"\(text)\"")
                return nil
            }
            return price
        }
        let input = read("input", &self)
        let output = read("output", &self)
        let cached = read("cached_input", &self)
        if fields["input"] == nil { self.fail(Self.join(path, "input"), "is required") }
        if fields["output"] == nil { self.fail(Self.join(path, "output"), "is required") }
        guard let input, let output else { return nil }
        return PriceSheet(input: input, output: output, cachedInput: cached)
    }

    static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    // MARK: sections

    mutating func readGateway(_ root: Node) -> GatewayConfig? {
        let allowed: Set = [
            "listen", "store", "spool", "admin_key", "key_secret", "max_request_body", "providers", "models", "routing",
            "agreements",
            "tenants",
            "keys", "tracing",
        ]
        guard let fields = self.fields(root, "", allowed: allowed) else { return nil }

        var listen = ListenAddress(host: "127.0.0.1", port: 8080)
        if let text = self.string(fields["listen"], "listen") {
            if let parsed = ListenAddress(parsing: text) {
                listen = parsed
            } else {
                self.fail("listen", "expected host:port, got \"\(text)\"")
            }
        }
        var store = StoreLocation.sqlite(path: "switchyard.db")
        if let text = self.string(fields["store"], "store") {
            if text == "memory" {
                store = .memory
            } else if text.hasPrefix("sqlite:") {
                let path = String(text.dropFirst("sqlite:".count))
                if path.isEmpty { self.fail("store", "sqlite: needs a file path (sqlite:switchyard.db)") }
                store = .sqlite(path: path)
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                store = .postgres(url: Secret(text))
            } else {
                self.fail("store", "expected sqlite:PATH, postgres://user:pass@host:port/db or memory")
            }
        }
        let adminKey = self.string(fields["admin_key"], "admin_key").map(Secret.init)
        let keySecret = self.string(fields["key_secret"], "key_secret").map(Secret.init)
        if let keySecret, keySecret.value.utf8.count < 16 {
            self.fail("key_secret", "must be at least 16 characters (use a long random value)")
        }
        let spoolPath = self.string(fields["spool"], "spool")
        var maxBody = 10 << 20
        if let text = self.string(fields["max_request_body"], "max_request_body") {
            if let bytes = ByteSizeText.parse(text), bytes > 0 {
                maxBody = bytes
            } else {
                self.fail("max_request_body", "expected a size such as 10MiB, 512KiB or 1048576, got \"\(text)\"")
            }
        }

        let providers = fields["providers"].map { self.readProviders($0) } ?? []
        if fields["providers"] == nil { self.fail("providers", "is required") }
        let providerIDs = Set(providers.map(\.id))
        let models = fields["models"].map { self.readModels($0, providers: providerIDs) } ?? []
        if fields["models"] == nil { self.fail("models", "is required") }
        let routing = fields["routing"].map { self.readRouting($0) } ?? RoutingConfig()
        let tenants = fields["tenants"].map { self.readTenants($0) } ?? []
        let keys = fields["keys"].map { self.readKeys($0, tenants: Set(tenants.map(\.id))) } ?? []
        let agreements =
            fields["agreements"].map { self.readAgreements($0, clouds: Set(providers.map(\.cloud))) } ?? []

        let tracing = fields["tracing"].map { self.readTracing($0) } ?? nil
        var config = GatewayConfig(
            listen: listen,
            store: store,
            adminKey: adminKey,
            keySecret: keySecret,
            maxRequestBodyBytes: maxBody,
            providers: providers,
            models: models,
            routing: routing,
            tenants: tenants,
            keys: keys,
            agreements: agreements
        ).with(spoolPath: spoolPath)
        config.tracing = tracing
        return config
    }

    mutating func readTracing(_ node: Node) -> TracingConfig? {
        guard let fields = self.fields(node, "tracing", allowed: ["endpoint", "service_name", "sample_ratio"]) else {
            return nil
        }
        guard let endpoint = self.string(fields["endpoint"], "tracing.endpoint") else {
            self.fail("tracing.endpoint", "is required (the OTLP/HTTP collector, e.g. http://127.0.0.1:4318)")
            return nil
        }
        guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            self.fail("tracing.endpoint", "expected an http(s) URL such as http://127.0.0.1:4318, got \"\(endpoint)\"")
            return nil
        }
        var config = TracingConfig(endpoint: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint)
        if let name = self.string(fields["service_name"], "tracing.service_name") { config.serviceName = name }
        if let text = self.string(fields["sample_ratio"], "tracing.sample_ratio") {
            if let ratio = Double(text), (0...1).contains(ratio) {
                config.sampleRatio = ratio
            } else {
                self.fail("tracing.sample_ratio", "expected a number from 0 to 1, got \"\(text)\"")
            }
        }
        return config
    }

    mutating func readModels(_ node: Node, providers: Set<String>) -> [ModelConfig] {
        var result: [ModelConfig] = []
        for (name, entry) in self.entries(node, "models") {
            let path = "models.\(name)"
            let allowed: Set = ["publisher", "product", "launched", "price", "deployments", "strategy", "hedge"]
            guard let fields = self.fields(entry, path, allowed: allowed) else { continue }
            let publisher = self.string(fields["publisher"], path + ".publisher")
            let product = self.string(fields["product"], path + ".product")
            var launched: Date?
            if let text = self.string(fields["launched"], path + ".launched") {
                launched = DateText.parseDay(text)
                if launched == nil { self.fail(path + ".launched", "expected a date YYYY-MM-DD, got \"\(text)\"") }
            }
            let price = self.price(fields["price"], path + ".price") ?? .zero
            var deployments: [DeploymentConfig] = []
            if let list = fields["deployments"]?.sequence {
                for (index, item) in list.enumerated() {
                    let itemPath = "\(path).deployments[\(index)]"
                    let itemAllowed: Set = [
                        "provider", "target", "cost", "weight", "timeouts", "max_in_flight", "rpm", "tpm",
                    ]
                    guard let itemFields = self.fields(item, itemPath, allowed: itemAllowed) else { continue }
                    let provider = self.requiredString(itemFields["provider"], itemPath + ".provider")
                    if let provider, !providers.contains(provider) {
                        self.fail(itemPath + ".provider", "unknown provider \"\(provider)\"")
                    }
                    let target = self.string(itemFields["target"], itemPath + ".target") ?? name
                    let cost = self.price(itemFields["cost"], itemPath + ".cost") ?? .zero
                    let weight = self.int(itemFields["weight"], itemPath + ".weight", range: 0...1_000_000) ?? 1
                    let timeouts = self.readDeploymentTimeouts(itemFields["timeouts"], itemPath + ".timeouts")
                    let maxInFlight = self.int(
                        itemFields["max_in_flight"],
                        itemPath + ".max_in_flight",
                        range: 1...1_000_000
                    )
                    if let provider {
                        deployments.append(
                            DeploymentConfig(
                                provider: provider,
                                target: target,
                                cost: cost,
                                weight: weight,
                                timeouts: timeouts,
                                maxInFlight: maxInFlight,
                                requestsPerMinute: self.int(
                                    itemFields["rpm"],
                                    itemPath + ".rpm",
                                    range: 1...10_000_000
                                ),
                                tokensPerMinute: self.int(
                                    itemFields["tpm"],
                                    itemPath + ".tpm",
                                    range: 1...1_000_000_000
                                )
                            )
                        )
                    }
                }
                if list.count == 0 { self.fail(path + ".deployments", "needs at least one deployment") }
            } else {
                self.fail(path + ".deployments", fields["deployments"] == nil ? "is required" : "expected a list")
            }
            result.append(
                ModelConfig(
                    name: name,
                    publisher: publisher,
                    product: product,
                    launched: launched,
                    price: price,
                    deployments: deployments,
                    strategy: self.strategy(fields["strategy"], path + ".strategy"),
                    hedge: self.bool(fields["hedge"], path + ".hedge") ?? false
                )
            )
        }
        return result
    }

}
