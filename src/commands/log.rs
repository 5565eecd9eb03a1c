//! What a command prints, kept for its report.html.

/// What a run prints, and the full text kept for report.html. The default console fits one
/// screen: lines of the full console only ([`Log::more`]) are printed with `--detail`, and
/// their one-screen summaries ([`Log::brief`]) without it; report.html always gets the full
/// text. A quiet log (the leakage check's runs on the file's altered copies) prints nothing.
pub(crate) struct Log {
    pub text: String,
    quiet: bool,
    detail: bool,
}

impl Log {
    pub fn printing(detail: bool) -> Log {
        Log { text: String::new(), quiet: false, detail }
    }

    pub fn quiet() -> Log {
        Log { text: String::new(), quiet: true, detail: false }
    }

    /// A line of both consoles.
    pub fn line(&mut self, line: &str) {
        self.print(line, true);
        self.keep(line);
    }

    /// A line of the full console.
    pub fn more(&mut self, line: &str) {
        self.print(line, self.detail);
        self.keep(line);
    }

    /// A line of the one-screen console, standing for lines of the full one.
    pub fn brief(&mut self, line: &str) {
        self.print(line, !self.detail);
    }

    fn print(&self, line: &str, shown: bool) {
        if shown && !self.quiet {
            println!("{line}");
        }
    }

    fn keep(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }
}
