import ArgumentParser
import Foundation
import Logging
import SwitchyardCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke client keys in the configured store (audited as cli:USER).",
        subcommands: [CreateKeyCommand.self, ListKeysCommand.self, RevokeKeyCommand.self]
    )
}

/// Runs `body` with the administration of the configured store.
private func withAdministration<T: Sendable>(
    _ configPath: String,
    _ body: @escaping @Sendable (TenantAdministration) async throws -> T
) async throws -> T {
    let config = try loadConfig(configPath)
    do {
        return try await GatewayRunner.withStore(config, logger: GatewayRunner.makeLogger(level: .error)) { store in
            guard let control = store as? any ControlStore else {
                throw ValidationError("the configured store keeps no keys")
            }
            return try await body(TenantAdministration(store: control, config: config))
        }
    } catch let error as GatewayError {
        var stderr = StandardError()
        print("error: \(error.message)", to: &stderr)
        throw ExitCode(1)
    }
}

/// `cli:` and the OS user, for the audit log.
private var cliActor: String { "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

struct CreateKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a key; the key is printed once and never stored."
    )

    @Option(name: .long, help: "The configuration file (its store and key_secret are used).") var config: String
    @Option(name: .long, help: "The tenant the key belongs to.") var tenant: String
    @Option(name: .long, help: "A label.") var name: String?
    @Option(name: .long, help: "Requests per minute for this key.") var rpm: Int?
    @Option(name: .long, help: "Tokens per minute for this key.") var tpm: Int?
    @Option(name: .long, help: "A budget such as 25/day, 100/week or 500.50/month (USD).") var budget: String?
    @Option(name: .long, help: "Expire after this long (30d, 12h).") var expiresIn: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Models the key may use (default: the tenant's).")
    var models: [String] = []
    @Option(name: .long, help: "table or json.") var format: OutputFormat = .table

    func run() async throws {
        var members: [(String, JSONValue?)] = [("tenant", .string(self.tenant))]
        members.append(("name", self.name.map(JSONValue.string)))
        members.append(("rpm", self.rpm.map(JSONValue.int)))
        members.append(("tpm", self.tpm.map(JSONValue.int)))
        members.append(("expires_in", self.expiresIn.map(JSONValue.string)))
        if !self.models.isEmpty { members.append(("models", .array(self.models.map(JSONValue.string)))) }
        if let budget = self.budget {
            let parts = budget.split(separator: "/", maxSplits: 1).map(String.init)
            guard let amount = parts.first else { throw ValidationError("--budget: expected USD/PERIOD, e.g. 25/day") }
            let period = parts.count > 1 ? parts[1] : "month"
            members.append(("budget", .members([("usd", .string(amount)), ("per", .string(period))])))
        }
        let body = JSONValue.members(members)
        let (key, record) = try await withAdministration(self.config) { admin in
            try await admin.createKey(body, actor: cliActor)
        }
        if self.format == .json {
            guard case .object(var fields) = TenancyJSON.encode(record) else { return }
            fields.insert(("key", .string(key)), at: 2)
            print(JSONValue.object(fields).jsonText)
            return
        }
        print("key \(record.id) for tenant \(record.tenant) (prefix \(record.prefix))")
        if let expiry = record.expiresAt { print("expires \(InstantText.format(expiry))") }
        print("\n\(key)\n\nThis key is shown once; store it now.")
    }
}

struct ListKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored keys.")

    @Option(name: .long, help: "The configuration file.") var config: String
    @Option(name: .long, help: "Only this tenant's keys.") var tenant: String?
    @Option(name: .long, help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let tenant = self.tenant
        let keys = try await withAdministration(self.config) { admin in try await admin.keys(tenant: tenant) }
        if self.format == .json {
            print(JSONValue.array(keys.map(TenancyJSON.encode)).jsonText)
            return
        }
        var rows = [["ID", "PREFIX", "TENANT", "NAME", "CREATED", "EXPIRES", "REVOKED"]]
        for key in keys {
            rows.append([
                key.id, key.prefix, key.tenant, key.name ?? "-", InstantText.format(key.createdAt),
                key.expiresAt.map(InstantText.format) ?? "-", key.revokedAt.map(InstantText.format) ?? "-",
            ])
        }
        print(TableText.render(rows, format: self.format))
    }
}

struct RevokeKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a key; every replica refuses it within a second."
    )

    @Option(name: .long, help: "The configuration file.") var config: String
    @Argument(help: "The key id (key_…).") var id: String

    func run() async throws {
        let id = self.id
        let record = try await withAdministration(self.config) { admin in try await admin.revokeKey(id, actor: cliActor)
        }
        print("revoked \(record.id) (prefix \(record.prefix)) at \(record.revokedAt.map(InstantText.format) ?? "-")")
    }
}
