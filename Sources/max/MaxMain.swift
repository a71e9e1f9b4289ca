import MaxCLI

/// The `max` executable: everything lives in `MaxCLI`.
@main
enum MaxMain {
    static func main() async {
        await MaxCommand.main(arguments: Array(CommandLine.arguments.dropFirst()))
    }
}
