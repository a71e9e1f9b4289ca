import Foundation

/// Opens a URL in the user's browser, when there is one to open.
enum Browser {
    /// Opens `url` with `open` (macOS) or `xdg-open` (Linux, on a desktop session), detached and
    /// silent; does nothing without a desktop (a server, a container, an SSH session), where the
    /// `authorize:` line printed beside it is the way.
    static func open(_ url: URL) {
        #if os(macOS)
            let command = "/usr/bin/open"
        #else
            let environment = ProcessInfo.processInfo.environment
            guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil else { return }
            guard
                let command = ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open"].first(where: {
                    FileManager.default.isExecutableFile(atPath: $0)
                })
            else { return }
        #endif
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = [url.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try? process.run()  // no browser is not an error: the authorize: line is printed anyway
    }
}
