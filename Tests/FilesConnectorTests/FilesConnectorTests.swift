import Foundation
import MaxCore
import Testing

@testable import FilesConnector

/// Globs, names that are not UTF-8, Markdown outlines and link targets.
struct FilesPartsTests {
    @Test(arguments: [
        ("*.md", "notes/a.md", true), ("*.md", "a.txt", false), ("node_modules", "x/node_modules/", true),
        ("notes/**/*.md", "notes/a/b/c.md", true), ("notes/**/*.md", "notes/c.md", true),
        ("notes/*.md", "notes/a/c.md", false), ("/docs", "docs/", true), ("da?a.[tc]xt", "data.txt", true),
    ])
    func globsMatchLikeGitignore(pattern: String, path: String, expected: Bool) {
        #expect(Glob(pattern).matches(path) == expected)
    }

    @Test func namesThatAreNotUTF8KeepTheirBytesAsEscapes() {
        #expect(FolderWalker.display(Array("café/ok.md".utf8)) == "café/ok.md")
        #expect(FolderWalker.display(Array("caf".utf8) + [0xE9] + Array(".txt".utf8)) == "caf%E9.txt")
        #expect(FolderWalker.display(Array("100%.txt".utf8)) == "100%25.txt", "a % is escaped too, so names stay apart")
    }

    @Test func anOutlineReadsFrontMatterHeadingsAndLinks() {
        let outline = MarkdownOutline(
            """
            ---
            title: Notes
            draft: true
            ---
            # First
            Text with [a](b.md) and `[not](code.md)`.
            ```swift
            # comment, not a heading
            ```
            ### Third ###
            """)
        #expect(outline.frontMatter == ["title": "Notes", "draft": true])
        #expect(outline.title == "Notes")
        #expect(outline.headings.map(\.text) == ["First", "Third"])
        #expect(outline.headings.map(\.level) == [1, 3])
        #expect(outline.links == ["b.md"])
        #expect(MarkdownOutline("No heading, [x](y.md)").title == nil)
        #expect(
            MarkdownOutline("---\n: not yaml: [\n---\n# T").frontMatter == nil, "bad front matter is no front matter")
    }

    @Test(arguments: [
        ("b.md", "notes", "notes/b.md"), ("../a.md#top", "notes/x", "notes/a.md"), ("../../out.md", "notes", nil),
        ("https://example.com/a.md", "", nil), ("/root.md", "deep/er", "root.md"), ("my%20file.md", "", "my file.md"),
        ("#anchor", "notes", nil),
    ])
    func linkTargetsResolveInsideTheFolder(link: String, folder: String, expected: String?) {
        #expect(FileReader.resolve(link, from: folder) == expected)
    }
}
