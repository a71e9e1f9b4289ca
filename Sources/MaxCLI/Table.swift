import Foundation

/// Prints rows as a table sized to the terminal: columns as wide as their content, the widest
/// shrunk (with …) until the table fits.
enum Table {
    static func print(headers: [String], rows: [[String]], width: Int = Terminal.width) {
        for line in render(headers: headers, rows: rows, width: width) { Terminal.out(line) }
    }

    static func render(headers: [String], rows: [[String]], width: Int) -> [String] {
        let clean = rows.map { $0.map { $0.replacingNewlines() } }
        var widths = headers.indices.map { column in
            ([headers[column].count] + clean.map { column < $0.count ? $0[column].count : 0 }).max() ?? 0
        }
        let gap = 2
        while widths.reduce(0, +) + gap * max(widths.count - 1, 0) > width,
            let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 8
        {
            widths[widest] -= 1
        }
        func line(_ cells: [String]) -> String {
            cells.indices.map { column in
                let cell = cells[column]
                let fitted = cell.count > widths[column] ? String(cell.prefix(max(widths[column] - 1, 0))) + "…" : cell
                return column == cells.count - 1
                    ? fitted : fitted.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: String(repeating: " ", count: gap))
        }
        return [line(headers)] + clean.map(line)
    }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
