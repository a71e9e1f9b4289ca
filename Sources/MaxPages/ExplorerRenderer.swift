import Mustache

/// Renders explorer pages to HTML with the templates built into the binary.
public struct ExplorerRenderer: Sendable {
    private let library: MustacheLibrary

    /// A renderer; the templates are parsed once, here.
    public init() {
        var library = MustacheLibrary()
        for (name, text) in ExplorerTemplates.all {
            // The templates are constants of this file's module, parsed by its tests.
            guard let template = try? MustacheTemplate(string: text) else {
                preconditionFailure("the explorer template \(name) does not parse")
            }
            library.register(template, named: name)
        }
        self.library = library
    }

    /// The page as an HTML document.
    public func render(_ page: ExplorerPage) -> String {
        library.render(page.model, withTemplate: page.template) ?? ""
    }
}
