import ArgumentParser

@main
struct SwitchyardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "An OpenAI-compatible gateway for models that live on several clouds.",
        subcommands: [
            ServeCommand.self, DemoCommand.self, CheckCommand.self, ExplainCommand.self, TimelineCommand.self,
            ReportCommand.self, MigrateCommand.self, SimulateCommand.self, KeysCommand.self,
        ]
    )
}
