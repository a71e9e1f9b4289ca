import Foundation
import MaxCore
import MaxYAML

/// What Max keeps of a Markdown document beyond its text: the YAML front matter, the title (the
/// front matter's `title`, else the first level-1 heading), the ATX headings (`#` to `######`,
/// outside fenced code), and the targets of its inline links and images (`[text](target)`).
struct MarkdownOutline: Sendable {
    /// A heading.
    struct Heading: Sendable, Hashable {
        let level: Int
        let text: String
    }

    /// The front matter as JSON, when there is a valid one that is a map.
    let frontMatter: JSONValue?
    /// The title.
    let title: String?
    /// The headings, in order.
    let headings: [Heading]
    /// Link targets as written, in order.
    let links: [String]

    init(_ text: String) {
        var body = Substring(text)
        var frontMatter: JSONValue?
        if text.hasPrefix("---\n") || text.hasPrefix("---\r\n") {
            let rest = text.drop(while: { $0 != "\n" }).dropFirst()
            if let end = rest.range(of: "\n---") {
                let yaml = String(rest[..<end.lowerBound])
                if let parsed = try? YAMLReader.json(yaml), case .object(let members) = parsed {
                    frontMatter = .object(members)
                }
                body = rest[end.upperBound...].drop { $0 != "\n" }
            }
        }
        var headings: [Heading] = []
        var links: [String] = []
        var fence: Substring?
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                let marker = trimmed.prefix(3)
                fence = fence == nil ? marker : (fence == marker ? nil : fence)
                continue
            }
            if fence != nil { continue }
            let hashes = trimmed.prefix { $0 == "#" }.count
            if (1...6).contains(hashes), trimmed.dropFirst(hashes).first == " " {
                var heading = trimmed.dropFirst(hashes).trimmingCharacters(in: .whitespaces)
                while heading.hasSuffix("#") { heading.removeLast() }
                headings.append(Heading(level: hashes, text: heading.trimmingCharacters(in: .whitespaces)))
            }
            links += Self.linkTargets(in: line)
        }
        self.frontMatter = frontMatter
        self.headings = headings
        self.links = links
        title = frontMatter?["title"]?.stringValue ?? headings.first { $0.level == 1 }?.text
    }

    /// The targets of `[…](target)` in a line, code spans left out.
    static func linkTargets(in line: Substring) -> [String] {
        var targets: [String] = []
        var inCode = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "`" { inCode.toggle() }
            if !inCode, character == "]", line.index(after: index) < line.endIndex,
                line[line.index(after: index)] == "("
            {
                let start = line.index(index, offsetBy: 2)
                if let close = line[start...].firstIndex(of: ")") {
                    // `(target "title")`: the target is the first word.
                    let inside = line[start..<close].split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
                    if !inside.isEmpty { targets.append(inside) }
                    index = close
                }
            }
            index = line.index(after: index)
        }
        return targets
    }
}
