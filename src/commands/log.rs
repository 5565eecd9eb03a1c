//! What a command prints, kept for its report.html, and its progress bars over counted work.

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

/// A progress bar over `n` things (tickers, networks) labelled `label` (hidden off a terminal).
pub(crate) fn count_bar(n: usize, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg}: {bar:30} {pos}/{len}, {eta} left")
            .expect("a valid template"),
    );
    bar.set_message(label.to_string());
    bar
}

/// Counts one more thing done on a [`count_bar`]; off a terminal (a log file, CI), where the bar
/// is hidden, a line now and then says how far the work is.
pub(crate) fn count_done(bar: &indicatif::ProgressBar) {
    bar.inc(1);
    let (done, all) = (bar.position(), bar.length().unwrap_or(0));
    // about twenty lines over the whole count
    if bar.is_hidden() && (done == all || done % (all / 20).max(1) == 0) {
        eprintln!("{}: {done}/{all} done, {:.0} s", bar.message(), bar.elapsed().as_secs_f64());
    }
}
