import MaxCLI

/// The `max` executable: the command line (`MaxCLI`) with the sample server its demo runs.
@main
enum MaxMain {
    static func main() async {
        await MaxCommand.main(arguments: Array(CommandLine.arguments.dropFirst()), sample: AcmeSampleServer())
    }
}
