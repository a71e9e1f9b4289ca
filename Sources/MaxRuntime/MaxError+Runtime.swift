public import MaxCore

extension MaxError.Code {
    /// No `max.json` in the folder or any folder above it.
    public static let projectNotFound = Self(domain: "project", name: "not_found", category: .notFound)
    /// `max.json` cannot be read or has the wrong shape.
    public static let invalidProjectFile = Self(domain: "project", name: "invalid_config", category: .validationError)
    /// A project exists already where `max init` was asked to make one.
    public static let projectExists = Self(domain: "project", name: "exists", category: .conflict)
    /// A file of the project cannot be written.
    public static let projectWriteFailed = Self(domain: "project", name: "write_failed", category: .permanent)
    /// A path under `.max/` is a symbolic link, or an installation name would lead outside `.max/`.
    public static let unsafePath = Self(domain: "project", name: "unsafe_path", category: .validationError)
    /// Another process is syncing the installation.
    public static let syncAlreadyRunning = Self(domain: "sync", name: "already_running", category: .conflict)
    /// A command that needs the project's store in PostgreSQL (`max worker`, `max sync --detach`)
    /// in a project that stores in SQLite.
    public static let sharedStorageRequired = Self(
        domain: "storage", name: "shared_storage_required", category: .validationError)
    /// No installation of that name in `max.json`.
    public static let installationNotFound = Self(domain: "installation", name: "not_found", category: .notFound)
    /// The installation is disabled (`max disable`): it is not synced until `max enable`.
    public static let installationDisabled = Self(domain: "installation", name: "disabled", category: .conflict)
    /// An installation of that name exists already.
    public static let installationExists = Self(domain: "installation", name: "exists", category: .conflict)
    /// A folder under `.max/installations/` holds credentials but `max.json` has no such installation.
    public static let installationLeftover = Self(domain: "installation", name: "leftover", category: .conflict)
    /// An installation name is not a valid slug.
    public static let invalidInstallationName = Self(
        domain: "installation", name: "invalid_name", category: .validationError)
    /// Non-interactive onboarding lacks values.
    public static let onboardingMissingInput = Self(
        domain: "onboarding", name: "missing_input", category: .validationError)
    /// A request remote installations do not answer yet.
    public static let remoteUnsupported = Self(domain: "remote", name: "unsupported", category: .validationError)
    /// A remote node answered with something this Max cannot read.
    public static let remoteProtocol = Self(domain: "remote", name: "protocol", category: .permanent)
    /// No job has that id.
    public static let jobNotFound = Self(domain: "job", name: "not_found", category: .notFound)
    /// No serve token has the id given.
    public static let serveTokenNotFound = Self(domain: "serve", name: "token_not_found", category: .notFound)
    /// No stored entity has the type and id asked for.
    public static let entityNotFound = Self(domain: "entity", name: "not_found", category: .notFound)
    /// A job is not in a state that allows what was asked.
    public static let jobNotCancelable = Self(domain: "job", name: "invalid_state", category: .conflict)
    /// An installation has nothing to re-authenticate: its onboarding stores no credentials.
    public static let nothingToReauthenticate = Self(
        domain: "onboarding", name: "no_credentials", category: .validationError)
}
