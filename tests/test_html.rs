//! `report.html`: one self-contained page — every chart embedded as a PNG data URI, no script, nothing loaded
//! from outside — with the same content as `report.md`. (`scripts/check-html.sh` opens it in a real browser.)

use base64::Engine as _;

use crate::workdir::Workdir;

#[test]
fn report_html_is_self_contained_and_embeds_every_chart() {
    let wd = Workdir::with_repo_data();
    wd.run(&["run", "-q"]).ok().stdout_has("report.html");
    let html = wd.read("reports/default/report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Stance report: default</title>"));
    for banned in [
        "<script",
        "src=\"http",
        "href=\"http",
        "url(",
        "@import",
        "<link",
        "<iframe",
    ] {
        assert!(!html.contains(banned), "report.html has {banned}");
    }
    // Every image is a data URI, and every chart of the folder is one of them, byte for byte.
    let srcs: Vec<&str> = html
        .split("<img ")
        .skip(1)
        .map(|tag| {
            let src = tag.split("src=\"").nth(1).expect("an img has a src");
            &src[..src.find('"').expect("closed src")]
        })
        .collect();
    assert!(
        srcs.iter().all(|s| s.starts_with("data:image/png;base64,")),
        "{:?}",
        srcs.iter()
            .map(|s| &s[..30.min(s.len())])
            .collect::<Vec<_>>()
    );
    let decoded: Vec<Vec<u8>> = srcs
        .iter()
        .map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(&s["data:image/png;base64,".len()..])
                .expect("valid base64")
        })
        .collect();
    let charts: Vec<_> = std::fs::read_dir(wd.path().join("reports/default/charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(charts.len() >= 4);
    for chart in &charts {
        let png = std::fs::read(chart).unwrap();
        assert!(
            decoded.contains(&png),
            "{} is not embedded",
            chart.display()
        );
    }
    for png in &decoded {
        let (width, height) =
            stance_testkit::png_size(png).expect("an embedded chart decodes as PNG");
        assert!(width > 0 && height > 0);
    }
    // The same content as report.md: its headings are there, in order.
    let md = wd.read("reports/default/report.md");
    let headings: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    assert!(headings.len() >= 4);
    assert_eq!(html.matches("<h2>").count(), headings.len());
    let mut at = 0;
    for h in headings {
        let lead = h.split('`').next().unwrap_or(h).trim_end();
        let pos = html[at..]
            .find(&format!("<h2>{lead}"))
            .unwrap_or_else(|| panic!("heading '{h}' missing or out of order"));
        at += pos + 1;
    }
    // Wide tables scroll in their own box.
    assert_eq!(
        html.matches("<div class=\"table\">").count(),
        html.matches("<table>").count()
    );
}

#[test]
fn raw_html_in_user_text_is_shown_not_interpreted() {
    let wd = Workdir::with_repo_data();
    let exp = wd
        .read("experiments/default.toml")
        .replace("name = \"default\"", "name = \"x\"\n# user text below\n")
        .replace(
            "description = \"\"\"\n",
            "description = \"\"\"\n<script>alert(1)</script> <img src=\"http://example.invalid/x.png\"> ",
        );
    wd.write("experiments/x.toml", exp);
    wd.run(&["run", "experiments/x.toml", "-q"]).ok();
    let html = wd.read("reports/x/report.html");
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(
        !html.contains("<img src=\"http"),
        "an outside image got through"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the text is shown escaped"
    );
    assert!(html.contains("&lt;img src="), "the text is shown escaped");
}
