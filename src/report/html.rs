//! `report.html`: one self-contained page per run (settings, the console's tables, every chart
//! embedded), that a person opens in a browser with no network and no scripts.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine;

use super::files;

/// What a page shows, in reading order.
pub struct Page {
    /// The page's title and first heading, e.g. `AAPL: LSTM against tomorrow = today`.
    pub title: String,
    /// The console output of the run, shown as it was printed.
    pub text: String,
    /// A Markdown report (compare.md) shown after the console text, rendered to HTML (its
    /// tables as `<table>`).
    pub markdown: Option<String>,
    /// Charts as `(caption, PNG file)`, each embedded.
    pub charts: Vec<(String, PathBuf)>,
    /// The run's settings (run.json's or compare.json's), shown last for reference.
    pub settings: serde_json::Value,
}

/// `<`, `>`, `&` and `"` as HTML entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as HTML, tables included; raw HTML in the text is escaped, not passed through
/// (a file name or ticker is text, never markup).
pub fn markdown(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        e => e,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    out
}

/// The page as HTML: every chart inline as a `data:` URL, so the file stands alone.
pub fn render(page: &Page) -> Result<String> {
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}}pre{{background:#f6f6f6;padding:1em;white-space:pre-wrap;font-size:13px;line-height:1.35}}img{{max-width:100%;border:1px solid #ddd}}figure{{margin:2em 0}}figcaption{{font-weight:bold;margin-bottom:.5em}}table{{border-collapse:collapse;margin:1em 0;font-size:13px}}th,td{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}th:first-child,td:first-child{{text-align:left}}th{{background:#f0f0f0}}</style></head>\n<body>\n<h1>{t}</h1>\n<h2>What the run printed</h2>\n<pre>{text}</pre>\n",
        t = escape(&page.title),
        text = escape(page.text.trim_end())
    );
    if let Some(md) = &page.markdown {
        h += "<div class=\"md\">\n";
        h += &markdown(md);
        h += "</div>\n";
    }
    h += "<h2>Charts</h2>\n";
    for (caption, path) in &page.charts {
        let png =
            std::fs::read(path).with_context(|| format!("{}: cannot read the chart", path.display()))?;
        h += &format!(
            "<figure><figcaption>{}</figcaption><img alt=\"{}\" src=\"data:image/png;base64,{}\"></figure>\n",
            escape(caption),
            escape(caption),
            base64::engine::general_purpose::STANDARD.encode(png)
        );
    }
    h += &format!(
        "<h2>Settings</h2>\n<pre>{}</pre>\n</body></html>\n",
        escape(&serde_json::to_string_pretty(&page.settings)?)
    );
    Ok(h)
}

/// Writes `report.html` into `dir` (atomically).
pub fn write(dir: &Path, page: &Page) -> Result<()> {
    files::write_atomic(&dir.join("report.html"), render(page)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_embeds_its_charts_and_escapes_its_text() {
        let dir = std::env::temp_dir().join(format!("lstm-stock-html-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("a.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nxyz").unwrap();
        let page = Page {
            title: "AAPL <test>".into(),
            text: "RMSE 2.38 & naive 2.39\n".into(),
            charts: vec![("prediction".into(), png)],
            markdown: Some("| model | RMSE |\n|---|---:|\n| LSTM <b> | 2.38 |\n".into()),
            settings: serde_json::json!({"window": 60}),
        };
        let h = render(&page).unwrap();
        assert!(h.contains("<title>AAPL &lt;test&gt;</title>"));
        assert!(h.contains("RMSE 2.38 &amp; naive 2.39"));
        // the PNG's bytes, base64-encoded, are in the page
        assert!(h.contains("src=\"data:image/png;base64,iVBORw0KGgp4eXo=\""), "{h}");
        assert!(h.contains("&quot;window&quot;: 60"));
        assert!(!h.contains("<script"));
        // compare.md's tables are tables, not Markdown source; markup in a cell is text
        assert!(h.contains("<table>") && h.contains("<td>LSTM &lt;b&gt;</td>"), "{h}");
        assert!(!h.contains("|---|"));
        // a chart that is missing is an error, not a broken page
        let gone = Page { charts: vec![("x".into(), dir.join("none.png"))], ..page };
        assert!(format!("{:#}", render(&gone).unwrap_err()).contains("cannot read the chart"));
    }
}
