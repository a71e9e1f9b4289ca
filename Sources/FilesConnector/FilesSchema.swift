public import MaxCore

/// The files data model: a `File` per regular file under the folder, and the root.
public enum FilesSchema {
    /// A file.
    public static let file = EntityDef(
        "File",
        fields: [
            .string("path", indexed: true, summary: "the path from the folder, / between folders"),
            .string("name"), .string("folder", indexed: true, summary: "the path of its folder (empty at the top)"),
            .string("extension", indexed: true, summary: "lowercased, without the dot"),
            .int("size", summary: "bytes"), .date("modifiedAt", indexed: true),
            .string("contentHash", summary: "SHA-256 of the content, hex"),
            .string("mediaType", indexed: true),
            .string("text", summary: "the content of a UTF-8 text file up to the limit"),
            .string("title", summary: "Markdown: the front matter's title, else the first # heading"),
            .json("frontMatter", summary: "Markdown: the YAML front matter"),
            .json("headings", summary: "Markdown: [{level, text}]"),
            .collection("links", of: "File"),
            .string("linkTarget", summary: "for a symbolic link to a file inside the folder: where it points"),
            .string("readError", summary: "why the content could not be read, if it could not"),
        ],
        summary: "A file under the folder.")

    /// The root: the folder.
    public static let root = EntityDef(
        "FilesRoot", fields: [.collection("files", of: "File")], summary: "The folder a files installation syncs.")

    /// The schema: namespace `files`.
    public static let schema = Schema(namespace: "files", entities: [file], roots: [root])
}
