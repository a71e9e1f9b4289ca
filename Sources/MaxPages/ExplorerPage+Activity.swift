import Foundation

/// An installation's sync runs: a chart of the history and the table.
public struct Runs: Sendable {
    /// One run's line.
    public struct Row: Sendable {
        /// The run's id.
        public var id: String
        /// The kind of run: `full` or `incremental`.
        public var kind: String
        /// How it ended (or `running`).
        public var status: String
        /// When it started.
        public var started: String
        /// How long it took.
        public var duration: String
        /// Entities written.
        public var entities: String
        /// Requests, retries and 429s.
        public var requests: String
        /// Its error, if it failed.
        public var error: String?

        /// A line.
        public init(
            id: String, kind: String, status: String, started: String, duration: String, entities: String,
            requests: String, error: String?
        ) {
            self.id = id
            self.kind = kind
            self.status = status
            self.started = started
            self.duration = duration
            self.entities = entities
            self.requests = requests
            self.error = error
        }
    }

    /// The frame.
    public var frame: Frame
    /// The history as a chart, oldest first (none with fewer than one run).
    public var chart: Chart?
    /// The runs, newest first.
    public var rows: [Row]

    /// The page.
    public init(frame: Frame, chart: Chart?, rows: [Row]) {
        self.frame = frame
        self.chart = chart
        self.rows = rows
    }
}

/// A bar chart drawn as SVG on the server: a bar per run for what it wrote, and a dot per run for
/// how long it took, each on its own scale.
public struct Chart: Sendable {
    /// One run's bar and dot, in the chart's coordinates.
    public struct Bar: Sendable {
        /// Left edge.
        public var x: Int
        /// Top of the bar.
        public var y: Int
        /// Width.
        public var width: Int
        /// Height.
        public var height: Int
        /// The dot's centre.
        public var dotX: Int
        /// The dot's height.
        public var dotY: Int
        /// What the bar says when hovered (the run, entities, duration, status).
        public var label: String
        /// `ok` or `bad`: how the bar is coloured.
        public var tone: String
    }

    /// The drawing's width and height.
    public var width: Int
    /// The drawing's height.
    public var height: Int
    /// The bars, oldest first.
    public var bars: [Bar]
    /// The largest entity count, for the axis label.
    public var maxEntities: String
    /// The longest duration, for the axis label.
    public var maxDuration: String

    /// A chart of `runs` (oldest first): what each wrote, how long it took, and whether it failed.
    public init(
        runs: [(label: String, entities: Int, milliseconds: Int, failed: Bool)], width: Int = 720, height: Int = 160
    ) {
        self.width = width
        self.height = height
        let most = max(1, runs.map(\.entities).max() ?? 1)
        let longest = max(1, runs.map(\.milliseconds).max() ?? 1)
        let slot = runs.isEmpty ? width : width / runs.count
        let barWidth = max(2, slot * 2 / 3)
        bars = runs.enumerated().map { index, run in
            let barHeight = max(1, run.entities * (height - 10) / most)
            let x = index * slot + (slot - barWidth) / 2
            return Bar(
                x: x, y: height - barHeight, width: barWidth, height: barHeight, dotX: x + barWidth / 2,
                dotY: height - max(1, run.milliseconds * (height - 10) / longest), label: run.label,
                tone: run.failed ? "bad" : "ok")
        }
        maxEntities = String(most)
        maxDuration = Chart.duration(longest)
    }

    /// `850 ms`, `12.4 s`, `3 min 5 s`.
    public static func duration(_ milliseconds: Int) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 60_000 { return String(format: "%.1f s", Double(milliseconds) / 1000) }
        return "\(milliseconds / 60_000) min \(milliseconds % 60_000 / 1000) s"
    }
}

/// A list of rows of text with a heading row: jobs, audit events.
public struct Listing: Sendable {
    /// The frame.
    public var frame: Frame
    /// A filter box, when the listing takes one (the audit log).
    public var filter: String?
    /// Where the filter form submits.
    public var action: String?
    /// The column names.
    public var columns: [String]
    /// The rows.
    public var rows: [Table.Row]
    /// What the server refused, if it did.
    public var error: InputError?
    /// What to say when there is no row.
    public var empty: String

    /// A listing.
    public init(
        frame: Frame, filter: String? = nil, action: String? = nil, columns: [String], rows: [Table.Row],
        error: InputError? = nil, empty: String
    ) {
        self.frame = frame
        self.filter = filter
        self.action = action
        self.columns = columns
        self.rows = rows
        self.error = error
        self.empty = empty
    }
}
