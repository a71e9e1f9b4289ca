import ArgumentParser
import Foundation
import MaxRuntime

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Make a folder a Max project: max.json, .max/, and a .gitignore entry.",
        discussion: """
            .max/ is created private to you (mode 0700): it will hold credentials and synced data. \
            With --force inside an existing project, max.json is checked (never rewritten) and \
            whatever is missing is created; installations are kept.
            """)

    @Argument(help: "The folder (default: the current one).") var directory: String?
    @Flag(help: "Check and complete an existing project instead of refusing.") var force = false

    func run() async throws {
        let url = URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        let result = try Project.initialise(at: url, force: force)
        let path = result.project.root.path
        if result.createdFile {
            Terminal.out("Initialised a Max project in \(path)")
            Terminal.err("next: max connect <connector>   (see \"max connectors\")")
            return
        }
        var done: [String] = []
        if result.createdRuntimeFolder { done.append("created .max/") }
        if result.updatedGitignore { done.append("added .max/ to .gitignore") }
        let kept = "\(result.keptInstallations) installation\(result.keptInstallations == 1 ? "" : "s") kept"
        Terminal.out(
            "\(path) is already a Max project (\(kept)); "
                + (done.isEmpty ? "nothing needed changing" : done.joined(separator: ", ")))
    }
}
