/// The pages of the explorer, each with what its template shows.
///
/// Every text is escaped by the templates (`{{…}}`): a record whose title is `<script>` shows as
/// text. Links are built by the server (``Link``), already percent-encoded.
public enum ExplorerPage: Sendable {
    /// The sign-in form.
    case signIn(SignIn)
    /// The installations of the project.
    case installations(Installations)
    /// One installation: its types, with counts and fields.
    case installation(Installation)
    /// An entity type as a table, filtered, ordered and paged.
    case table(Table)
    /// One record, with its refs both ways.
    case record(Record)
    /// An installation's sync runs, charted.
    case runs(Runs)
    /// Rows of text: jobs, audit events.
    case listing(Listing)
    /// An installation's operations.
    case operations(Operations)
    /// An operation's form, and its result.
    case operationForm(OperationForm)
    /// Something went wrong: a code, a message and what to do.
    case failure(Failure)

    /// The template that renders the page.
    var template: String {
        switch self {
        case .signIn: "signIn"
        case .installations: "installations"
        case .installation: "installation"
        case .table: "table"
        case .record: "record"
        case .runs: "runs"
        case .listing: "listing"
        case .operations: "operations"
        case .operationForm: "operationForm"
        case .failure: "failure"
        }
    }

    /// The page's view model.
    var model: any Sendable {
        switch self {
        case .signIn(let page): page
        case .installations(let page): page
        case .installation(let page): page
        case .table(let page): page
        case .record(let page): page
        case .runs(let page): page
        case .listing(let page): page
        case .operations(let page): page
        case .operationForm(let page): page
        case .failure(let page): page
        }
    }
}

/// What every page's frame shows: its title, the way back, and the signed-in session's form token.
public struct Frame: Sendable {
    /// The page's title.
    public var title: String
    /// The links from the top to this page.
    public var crumbs: [Link]
    /// The session's CSRF token, carried by every form (nil when signed out).
    public var csrf: String?
    /// The session's scope (`read`, `operate`…), shown beside "Sign out".
    public var scope: String?

    /// A frame.
    public init(title: String, crumbs: [Link] = [], csrf: String? = nil, scope: String? = nil) {
        self.title = title
        self.crumbs = crumbs
        self.csrf = csrf
        self.scope = scope
    }
}

/// A link: its text and where it goes (nil for plain text).
public struct Link: Sendable, Hashable {
    /// What is shown.
    public var text: String
    /// The URL, percent-encoded; nil when the text links nowhere.
    public var href: String?

    /// A link.
    public init(_ text: String, href: String? = nil) {
        self.text = text
        self.href = href
    }
}

/// The sign-in form.
public struct SignIn: Sendable {
    /// The frame.
    public var frame: Frame
    /// Why the last attempt failed, if it did.
    public var error: String?

    /// A sign-in page.
    public init(frame: Frame, error: String? = nil) {
        self.frame = frame
        self.error = error
    }
}

/// The project's installations.
public struct Installations: Sendable {
    /// One installation's line.
    public struct Row: Sendable {
        /// Its name, linking to its page.
        public var name: Link
        /// Its connector.
        public var connector: String
        /// Its status (`active`, `never synced`…).
        public var status: String
        /// Its entities, if known.
        public var entities: String
        /// When it last synced.
        public var lastSync: String
        /// When a schedule syncs it next.
        public var nextRun: String

        /// A line.
        public init(name: Link, connector: String, status: String, entities: String, lastSync: String, nextRun: String)
        {
            self.name = name
            self.connector = connector
            self.status = status
            self.entities = entities
            self.lastSync = lastSync
            self.nextRun = nextRun
        }
    }

    /// The frame.
    public var frame: Frame
    /// The installations.
    public var rows: [Row]

    /// The page.
    public init(frame: Frame, rows: [Row]) {
        self.frame = frame
        self.rows = rows
    }
}

/// One installation: its entity types.
public struct Installation: Sendable {
    /// One entity type.
    public struct TypeRow: Sendable {
        /// Its name, linking to its table.
        public var name: Link
        /// What it is.
        public var summary: String?
        /// How many are stored.
        public var count: String
        /// Its fields: name and type; a ref's type links to the target's table.
        public var fields: [Field]

        /// A type's row.
        public init(name: Link, summary: String?, count: String, fields: [Field]) {
            self.name = name
            self.summary = summary
            self.count = count
            self.fields = fields
        }
    }

    /// One field of a type.
    public struct Field: Sendable {
        /// Its name.
        public var name: String
        /// Its type, linking to the target's table for a ref or collection.
        public var type: Link

        /// A field.
        public init(name: String, type: Link) {
            self.name = name
            self.type = type
        }
    }

    /// The frame.
    public var frame: Frame
    /// The installation's status line.
    public var status: String
    /// Links to its runs and operations.
    public var actions: [Link]
    /// Its types.
    public var types: [TypeRow]

    /// The page.
    public init(frame: Frame, status: String, actions: [Link], types: [TypeRow]) {
        self.frame = frame
        self.status = status
        self.actions = actions
        self.types = types
    }
}

/// A filter, field or ordering the server refused, shown where it was typed.
public struct InputError: Sendable {
    /// The error's code (`search.unknown_field`).
    public var code: String
    /// What was wrong.
    public var message: String
    /// The expression as typed, when the error points into it.
    public var expression: String?
    /// Spaces and a caret under the column at fault.
    public var caret: String?
    /// What to do.
    public var hint: String?

    /// An error.
    public init(code: String, message: String, expression: String?, caret: String?, hint: String?) {
        self.code = code
        self.message = message
        self.expression = expression
        self.caret = caret
        self.hint = hint
    }
}

/// An entity type as a table.
public struct Table: Sendable {
    /// One row: its cells, the first linking to the record.
    public struct Row: Sendable {
        /// The cells, in column order.
        public var cells: [Link]

        /// A row.
        public init(cells: [Link]) { self.cells = cells }
    }

    /// The frame.
    public var frame: Frame
    /// Where the form submits (the table's own URL).
    public var action: String
    /// The filter as typed.
    public var filter: String
    /// The fields as typed.
    public var fields: String
    /// The ordering as typed.
    public var order: String
    /// The fields the type has, for the picker.
    public var fieldNames: [String]
    /// The column names.
    public var columns: [String]
    /// The rows.
    public var rows: [Row]
    /// How many match, when the page says.
    public var total: String?
    /// What the server refused, if it did.
    public var error: InputError?
    /// The next page, if there is one.
    public var next: String?
    /// The first page, when this is not it.
    public var first: String?

    /// A table.
    public init(
        frame: Frame, action: String, filter: String, fields: String, order: String, fieldNames: [String],
        columns: [String], rows: [Row], total: String?, error: InputError?, next: String?, first: String?
    ) {
        self.frame = frame
        self.action = action
        self.filter = filter
        self.fields = fields
        self.order = order
        self.fieldNames = fieldNames
        self.columns = columns
        self.rows = rows
        self.total = total
        self.error = error
        self.next = next
        self.first = first
    }
}

/// One record, with its refs both ways.
public struct Record: Sendable {
    /// One field: its name and value (a ref's value links to its target).
    public struct Field: Sendable {
        /// The name.
        public var name: String
        /// The values: one, or a collection's members.
        public var values: [Link]

        /// A field.
        public init(name: String, values: [Link]) {
            self.name = name
            self.values = values
        }
    }

    /// The frame.
    public var frame: Frame
    /// The fields.
    public var fields: [Field]
    /// What refers to this record: a link to each type's table, filtered on the ref.
    public var referredBy: [Link]

    /// A record page.
    public init(frame: Frame, fields: [Field], referredBy: [Link]) {
        self.frame = frame
        self.fields = fields
        self.referredBy = referredBy
    }
}

/// An error page.
public struct Failure: Sendable {
    /// The frame.
    public var frame: Frame
    /// The error's code.
    public var code: String
    /// What went wrong.
    public var message: String
    /// What to do.
    public var hint: String?

    /// An error page.
    public init(frame: Frame, code: String, message: String, hint: String?) {
        self.frame = frame
        self.code = code
        self.message = message
        self.hint = hint
    }
}
