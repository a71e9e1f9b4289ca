import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Facts about the process's terminal, and writing to stdout and stderr.
enum Terminal {
    static var stdinIsTTY: Bool { isatty(STDIN_FILENO) == 1 }
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether to use colour on stderr: a terminal, and `NO_COLOR` unset.
    static var colorOnStderr: Bool { stderrIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }
    /// Whether to use colour on stdout.
    static var colorOnStdout: Bool { stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    /// The terminal's width in columns (or `COLUMNS`, or 100).
    static var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 {
            return columns
        }
        return 100
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func errRaw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func style(_ text: String, _ code: String, on: Bool) -> String {
        on ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// The terminal settings of standard input, if it is a terminal, to put back later.
    static func inputMode() -> termios? {
        var mode = termios()
        return tcgetattr(STDIN_FILENO, &mode) == 0 ? mode : nil
    }

    /// Puts back settings from ``inputMode()``.
    static func restoreInputMode(_ mode: termios?) {
        guard var mode else { return }
        tcsetattr(STDIN_FILENO, TCSANOW, &mode)
    }

    /// Shows `prompt`, then reads a line from standard input with echo turned off (for secrets).
    ///
    /// Echo goes off before the prompt appears, and with `TCSANOW`: `TCSAFLUSH` would discard
    /// anything typed (or pasted) the moment the prompt showed.
    static func readSecretLine(prompt: String) -> String? {
        var original = termios()
        let isTTY = tcgetattr(STDIN_FILENO, &original) == 0
        if isTTY {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        }
        defer {
            if isTTY {
                tcsetattr(STDIN_FILENO, TCSANOW, &original)
                errRaw("\n")
            }
        }
        errRaw(prompt)
        return readLine(strippingNewline: true)
    }
}
