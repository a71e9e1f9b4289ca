/// An installation's operations, each linking to its form.
public struct Operations: Sendable {
    /// One operation.
    public struct Row: Sendable {
        /// Its name, linking to its form (plain text for a session that may not invoke).
        public var name: Link
        /// What it does.
        public var summary: String
        /// `sync` or `async`.
        public var mode: String

        /// A row.
        public init(name: Link, summary: String, mode: String) {
            self.name = name
            self.summary = summary
            self.mode = mode
        }
    }

    /// The frame.
    public var frame: Frame
    /// The operations.
    public var rows: [Row]
    /// Why the names link nowhere, when the session's scope may not invoke.
    public var readOnly: String?

    /// The page.
    public init(frame: Frame, rows: [Row], readOnly: String?) {
        self.frame = frame
        self.rows = rows
        self.readOnly = readOnly
    }
}

/// A form generated from an operation's input JSON Schema, and the result of submitting it.
public struct OperationForm: Sendable {
    /// One input: a property of the schema.
    public struct Input: Sendable {
        /// One choice of an `enum`.
        public struct Choice: Sendable {
            /// The value.
            public var value: String
            /// Whether it is the one chosen.
            public var selected: Bool

            /// A choice.
            public init(value: String, selected: Bool) {
                self.value = value
                self.selected = selected
            }
        }

        /// The property's name (the form field's).
        public var name: String
        /// Whether the schema requires it.
        public var required: Bool
        /// The schema's description of the property (named apart from the page's summary, which a
        /// template would read in its place when this is missing).
        public var help: String?
        /// `text`, `number`, `checkbox`, `select` or `json` (a textarea for arrays and objects).
        public var kind: String
        /// The value as typed (kept when the form comes back with an error).
        public var value: String
        /// For a checkbox, whether it is ticked.
        public var checked: Bool
        /// For a select, its choices.
        public var choices: [Choice]

        // Stored, not computed: templates read a value's stored properties only.
        /// Whether it is a text or number input.
        public let isText: Bool
        /// Whether it is a checkbox.
        public let isCheckbox: Bool
        /// Whether it is a select.
        public let isSelect: Bool
        /// Whether it is a JSON textarea.
        public let isJSON: Bool

        /// An input.
        public init(
            name: String, required: Bool, help: String?, kind: String, value: String, checked: Bool,
            choices: [Choice]
        ) {
            self.name = name
            self.required = required
            self.help = help
            self.kind = kind
            self.value = value
            self.checked = checked
            self.choices = choices
            isText = kind == "text" || kind == "number"
            isCheckbox = kind == "checkbox"
            isSelect = kind == "select"
            isJSON = kind == "json"
        }
    }

    /// The frame.
    public var frame: Frame
    /// What the operation does.
    public var summary: String
    /// Where the form posts.
    public var action: String
    /// The inputs.
    public var inputs: [Input]
    /// The idempotency key as typed.
    public var idempotencyKey: String
    /// What the call answered, as pretty JSON.
    public var result: String?
    /// The job it was queued as, linking to the jobs page.
    public var job: Link?
    /// What was refused, if anything.
    public var error: InputError?

    /// The form.
    public init(
        frame: Frame, summary: String, action: String, inputs: [Input], idempotencyKey: String, result: String?,
        job: Link?, error: InputError?
    ) {
        self.frame = frame
        self.summary = summary
        self.action = action
        self.inputs = inputs
        self.idempotencyKey = idempotencyKey
        self.result = result
        self.job = job
        self.error = error
    }
}
