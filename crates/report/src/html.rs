//! `report.html`: the same content as `report.md`, as one self-contained page to share — it opens from a file,
//! an e-mail attachment or a CI artefact with nothing beside it.
//!
//! The Markdown is converted with pulldown-cmark (tables enabled); every chart link is replaced by the chart
//! itself as a `data:image/png;base64,…` URI, the style sheet is inline, and there is no script and no external
//! resource (a Content-Security-Policy in the page forbids any). Raw HTML in the Markdown (which can only come
//! from user text such as an experiment's description) is shown as text, never interpreted. Wide tables scroll
//! inside their own box; images shrink to the page width. The bytes depend only on the Markdown and the charts.

use std::collections::BTreeMap;

use base64::Engine as _;
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// The page's style sheet: readable type, styled tables that scroll when wide, images at most the page width.
const STYLE: &str = "\
:root{color-scheme:light}\
body{margin:0;background:#f6f7f9;color:#1f2328;font:15px/1.55 -apple-system,BlinkMacSystemFont,\"Segoe UI\",\
Helvetica,Arial,sans-serif}\
main{max-width:1180px;overflow-wrap:break-word;margin:0 auto;padding:24px 32px 48px;background:#fff;min-height:100vh;\
box-shadow:0 0 0 1px #e3e6ea}\
h1{font-size:1.9em;margin:.4em 0 .6em;padding-bottom:.3em;border-bottom:1px solid #d8dee4}\
h2{font-size:1.35em;margin:1.8em 0 .6em;padding-bottom:.25em;border-bottom:1px solid #e3e6ea}\
h3{font-size:1.1em;margin:1.4em 0 .5em}\
p,ul,ol{margin:.6em 0}\
code{font:0.88em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f0f2f4;\
padding:.1em .35em;border-radius:4px}\
pre{background:#f0f2f4;padding:12px;border-radius:6px;overflow-x:auto}\
pre code{background:none;padding:0}\
p code,li code{overflow-wrap:anywhere}\
img{display:block;max-width:100%;height:auto;margin:12px 0;border:1px solid #e3e6ea;border-radius:4px}\
.table{overflow-x:auto;margin:12px 0;border:1px solid #d8dee4;border-radius:6px}\
table{border-collapse:collapse;font-size:.9em;font-variant-numeric:tabular-nums;min-width:100%}\
th,td{padding:5px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}\
th{background:#f0f2f4;text-align:left;font-weight:600;white-space:nowrap}\
tbody tr:nth-child(even){background:#fafbfc}\
tbody tr:hover{background:#eef4fb}\
td code{white-space:nowrap}\
td[style*=right]{white-space:nowrap}\
@media (max-width:600px){main{padding:16px}}\
blockquote{margin:.8em 0;padding:.2em 1em;border-left:4px solid #d8dee4;color:#57606a}\
";

/// Renders `markdown` (a `report.md`) as a self-contained HTML page titled `title`; `charts` maps each chart's
/// path as the Markdown links it (`charts/leaderboard.png`) to its PNG bytes.
pub fn render(markdown: &str, title: &str, charts: &[(String, Vec<u8>)]) -> String {
    let uris: BTreeMap<&str, String> = charts
        .iter()
        .map(|(name, png)| {
            (
                name.as_str(),
                format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(png)
                ),
            )
        })
        .collect();
    let mut events = Vec::new();
    // For each open image: whether it was embedded (else it became an emphasis holding its alt text).
    let mut images: Vec<bool> = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            // Raw HTML can only come from user text: show it, never interpret it.
            Event::Html(s) | Event::InlineHtml(s) => events.push(Event::Text(s)),
            // A chart is embedded; any other image would be an outside resource, so only its alt text is shown.
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => match uris.get(dest_url.as_ref()) {
                Some(uri) => {
                    images.push(true);
                    events.push(Event::Start(Tag::Image {
                        link_type,
                        dest_url: CowStr::from(uri.clone()),
                        title,
                        id,
                    }));
                }
                None => {
                    images.push(false);
                    events.push(Event::Start(Tag::Emphasis));
                }
            },
            Event::End(TagEnd::Image) => events.push(Event::End(if images.pop().unwrap_or(true) {
                TagEnd::Image
            } else {
                TagEnd::Emphasis
            })),
            // Wide tables scroll inside their own box rather than widening the page.
            Event::Start(Tag::Table(a)) => {
                events.push(Event::Html(CowStr::from("<div class=\"table\">\n")));
                events.push(Event::Start(Tag::Table(a)));
            }
            Event::End(TagEnd::Table) => {
                events.push(Event::End(TagEnd::Table));
                events.push(Event::Html(CowStr::from("</div>\n")));
            }
            other => events.push(other),
        }
    }
    let mut body = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut body, events.into_iter());
    let mut page = String::with_capacity(body.len() + STYLE.len() + 512);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; \
         style-src 'unsafe-inline'\">\n",
    );
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.push_str("<title>");
    escape_text(&mut page, title);
    page.push_str("</title>\n<style>");
    page.push_str(STYLE);
    page.push_str("</style>\n</head>\n<body>\n<main>\n");
    page.push_str(&body);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// Escapes text for an HTML text node.
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 2, 1);
        encoder.set_color(png::ColorType::Rgb);
        encoder
            .write_header()
            .unwrap()
            .write_image_data(&[0; 6])
            .unwrap();
        out
    }

    #[test]
    fn charts_are_embedded_and_anything_else_stays_inside_the_page() {
        let md = "# T <b>\n\n![chart](charts/a.png) ![elsewhere](http://example.invalid/b.png)\n\n\
                  <script>alert(1)</script>\n\ntext <iframe src=\"http://example.invalid\"></iframe>\n\n\
                  | a | b |\n|---|--:|\n| `x` | 1 |\n";
        let page = render(md, "Stance report: <t>", &[("charts/a.png".into(), png())]);
        assert!(page.contains("<title>Stance report: &lt;t&gt;</title>"));
        assert!(page.contains("<img src=\"data:image/png;base64,iVBOR"));
        assert!(page.contains("<em>elsewhere</em>"), "{page}");
        assert!(
            !page.contains("<script") && !page.contains("<iframe"),
            "{page}"
        );
        assert!(!page.contains("<img src=\"http"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("<div class=\"table\">\n<table>"), "{page}");
        assert_eq!(
            page,
            render(md, "Stance report: <t>", &[("charts/a.png".into(), png())])
        );
    }
}
