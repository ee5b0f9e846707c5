import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SwitchyardCore
import SwitchyardSimulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run the gateway in front of simulated Azure, AWS Bedrock, OpenAI, Anthropic and Gemini clouds, offline, with a SQLite ledger."
    )

    @Option(name: .long, help: "Gateway port (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .long, help: "Directory for the SQLite ledger (default: a new temporary directory).")
    var dataDir: String?

    @Option(name: .long, help: "The demo configuration (default: examples/demo.yaml of this checkout).")
    var config: String?

    @Option(name: .long, help: "Log level.")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Log format: text, or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    /// `examples/demo.yaml` in the working directory, else in the checkout the binary was built
    /// in (`.build/<triple>/debug/switchyard` sits four levels below it).
    static func defaultConfigPath() -> String? {
        let relative = "examples/demo.yaml"
        if FileManager.default.isReadableFile(atPath: relative) { return relative }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    func run() async throws {
        guard let configPath = self.config ?? Self.defaultConfigPath(),
            FileManager.default.isReadableFile(atPath: configPath)
        else {
            var stderr = StandardError()
            print(
                "switchyard demo: cannot read \(self.config ?? "examples/demo.yaml") (pass --config FILE)",
                to: &stderr
            )
            throw ExitCode(2)
        }
        ProcessRuntime.configure(threads: nil, eventLoopExecutor: true)
        let logger = GatewayRunner.makeLogger(
            level: Logger.Level(rawValue: self.logLevel) ?? .warning,
            format: self.logFormat
        )
        let directory = try self.dataDir ?? Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let databasePath = (directory as NSString).appendingPathComponent("switchyard.db")

        let (ports, portSink) = AsyncStream.makeStream(of: (String, Int).self)
        // Each simulated cloud speaks its real dialect and checks the credential the demo
        // configuration gives that provider (SigV4 with the demo's AWS keys for Bedrock).
        let clouds = [
            "azure": "sim-azure-key", "aws": "sim-aws-key", "openai": "sim-openai-key",
            "anthropic": "sim-anthropic-key", "google": "sim-google-key",
        ]
        let simulators: [any Service] = clouds.keys.sorted().map { cloud in
            Simulator.application(
                options: SimulatorOptions(
                    chunkInterval: .milliseconds(20),
                    requiredAPIKey: clouds[cloud],
                    awsCredentials: cloud == "aws" ? Self.demoAWSCredentials : nil
                ),
                logger: logger,
                onServerRunning: { port in portSink.yield((cloud, port)) }
            )
        }
        let simulatorGroup = ServiceGroup(services: simulators, gracefulShutdownSignals: [], logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulatorGroup.run() }
            var environment = ProcessInfo.processInfo.environment
            var iterator = ports.makeAsyncIterator()
            for _ in clouds {
                guard let (cloud, port) = await iterator.next() else { throw ExitCode.failure }
                environment["SWITCHYARD_DEMO_\(cloud.uppercased())_URL"] = "http://127.0.0.1:\(port)"
                Self.say("simulated cloud \"\(cloud)\" at http://127.0.0.1:\(port)")
            }
            environment["SWITCHYARD_DEMO_DB"] = databasePath
            environment["SWITCHYARD_DEMO_RECENT_LAUNCH"] = Self.day(Date().addingTimeInterval(-9 * 86_400))
            environment["SWITCHYARD_DEMO_LISTEN"] = "127.0.0.1:\(self.port)"
            let config: GatewayConfig
            do {
                config = try GatewayConfig.load(path: configPath, environment: environment)
            } catch {
                await simulatorGroup.triggerGracefulShutdown()
                var stderr = StandardError()
                print("\(configPath): \(error)", to: &stderr)
                throw ExitCode(2)
            }
            Self.say("ledger at \(databasePath)")
            try await GatewayRunner.run(config: config, logger: logger) { port in
                Self.printWelcome(
                    port: port,
                    key: config.keys.first?.key.value ?? "KEY",
                    model: config.models.first?.name ?? "MODEL"
                )
                Self.say("gateway listening on http://127.0.0.1:\(port)")
            }
            await simulatorGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        Self.say("stopped; the ledger is in \(databasePath)")
    }

    static func temporaryDirectory() throws -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "switchyard-demo-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The AWS keys of the demo's Bedrock provider (examples/demo.yaml), which the simulated AWS
    /// cloud verifies SigV4 signatures against.
    static let demoAWSCredentials = AWSCredentials(
        accessKeyID: "AKIDSWITCHYARDDEMO",
        secretAccessKey: Secret("switchyard/demo+secret/key")
    )

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(_ date: Date) -> String { String(InstantText.format(date).prefix(10)) }

    static func say(_ line: String) {
        print("switchyard demo: \(line)")
        fflush(nil)
    }

    static func printWelcome(port: Int, key: String, model: String) {
        print(
            """

            Try it (Ctrl-C stops the demo):

              curl -s http://127.0.0.1:\(port)/v1/chat/completions \\
                -H 'Authorization: Bearer \(key)' -H 'Content-Type: application/json' \\
                -d '{"model":"\(model)","messages":[{"role":"user","content":"Hello"}]}'

              python3 - <<'PY'
              from openai import OpenAI
              client = OpenAI(base_url="http://127.0.0.1:\(port)/v1", api_key="\(key)")
              for chunk in client.chat.completions.create(model="\(model)", stream=True,
                      messages=[{"role": "user", "content": "Hello"}]):
                  print(chunk.choices[0].delta.content or "" if chunk.choices else "", end="", flush=True)
              print()
              PY

            Contracts at work (README, "Contracts in the demo"):

              # tenant globex is pinned to AWS; Azure has first access to gpt-5.1: 403 with the opening date
              curl -s http://127.0.0.1:\(port)/v1/chat/completions -H 'Authorization: Bearer sk-demo-globex' \\
                -d '{"model":"gpt-5.1","messages":[{"role":"user","content":"Hello"}]}'
              curl -s 'http://127.0.0.1:\(port)/admin/v1/explain?model=gpt-oss-120b&tenant=acme' -H 'Authorization: Bearer sk-demo-admin'
              curl -s http://127.0.0.1:\(port)/admin/v1/timeline -H 'Authorization: Bearer sk-demo-admin'

            """
        )
        fflush(nil)
    }
}
