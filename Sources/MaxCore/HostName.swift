/// What a host name given in configuration says about where it is.
public enum HostName {
    /// Whether `host` is this machine.
    ///
    /// It is for `localhost`, a loopback address (`127.…`, `::1`), or a Unix socket's folder (a
    /// path). Traffic to it never leaves the machine, so a database there may be reached without
    /// TLS by default.
    public static func isLoopback(_ host: String) -> Bool {
        ["localhost", "::1"].contains(host.lowercased()) || host.hasPrefix("127.") || host.hasPrefix("/")
    }
}
