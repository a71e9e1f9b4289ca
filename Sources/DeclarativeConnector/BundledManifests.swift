import MaxCore

/// The manifests Max ships with: `max connectors` lists them beside the connectors written in Swift.
///
/// Each is kept as its YAML text, the same text a project's own manifest would hold, and checked
/// like one when it is first used.
public enum BundledManifests {
    /// Each bundled manifest's text, by connector name.
    public static let texts: [String: String] = [
        "acme-declarative": acme, "github": github, "linear": linear,
    ]

    /// The names, sorted.
    public static var names: [String] { texts.keys.sorted() }

    /// The connector of bundled manifest `name`.
    ///
    /// - Throws: `manifest.not_found` for a name that is not bundled; `manifest.invalid` (a defect
    ///   of this build).
    public static func connector(named name: String) throws -> ManifestConnector {
        guard let text = texts[name] else {
            throw MaxError(
                .manifestNotFound, "no manifest named '\(name)' is bundled with Max",
                hint: "bundled: \(names.joined(separator: ", "))", context: ["connector": name])
        }
        return ManifestConnector(try ManifestLoader.load(text, source: "bundled:\(name)"))
    }
}
