//! Number and cell formatting shared by every renderer (Markdown report, terminal text, the gate's summaries), so
//! one value is written the same way wherever it appears.

use stance_eval::results::Estimate;

/// Escapes text for a Markdown table cell: pipes, emphasis and link characters, HTML, and line breaks.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats text as an inline code span inside a table cell: only `|` needs escaping there (GitHub-flavoured
/// Markdown honours `\|` even inside code spans); backticks and line breaks are replaced.
pub fn code(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", inner.replace('|', "\\|"))
}

/// A metric value or share with three decimals (`0.545`).
pub fn num(v: f64) -> String {
    format!("{v:.3}")
}

/// A p-value for display (`<0.001` below a thousandth).
pub fn pval(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        num(p)
    }
}

/// A p-value that may be absent (no bootstrap): "—".
pub fn pval_opt(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), pval)
}

/// "p = 0.289" or "p < 0.001", for prose.
pub fn p_phrase(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

/// A share with enough digits to be non-zero when it is small (0.545, 0.0010).
pub fn share(v: f64) -> String {
    if v >= 0.01 || v == 0.0 {
        num(v)
    } else {
        format!("{v:.2e}")
    }
}

/// An estimate with its interval when it has one: `0.545 [0.400, 0.700]`.
pub fn est(e: &Estimate) -> String {
    match (e.lower, e.upper) {
        (Some(lo), Some(hi)) => format!("{} [{}, {}]", num(e.point), num(lo), num(hi)),
        _ => num(e.point),
    }
}

/// A difference with explicit sign, and its interval when it has one: `-0.120 [-0.300, +0.050]`.
pub fn signed(e: &Estimate) -> String {
    match (e.lower, e.upper) {
        (Some(lo), Some(hi)) => format!("{:+.3} [{:+.3}, {:+.3}]", e.point, lo, hi),
        _ => format!("{:+.3}", e.point),
    }
}

/// Rank labels for values in leaderboard order (descending): equal values share the rank of the first of them,
/// written `=14` on every tied row, so twelve configurations with identical predictions do not read as ranks 14 to
/// 25. Values within 1e-12 are equal (pooled scores of identical predictions are identical to the bit; the margin
/// only absorbs summation order).
pub fn rank_labels(values: &[f64]) -> Vec<String> {
    let tied = |a: f64, b: f64| (a - b).abs() <= 1e-12;
    let mut out = Vec::with_capacity(values.len());
    let mut first = 0;
    for (i, &v) in values.iter().enumerate() {
        if i > 0 && !tied(values[i - 1], v) {
            first = i;
        }
        let shared =
            (i > 0 && tied(values[i - 1], v)) || values.get(i + 1).is_some_and(|&w| tied(v, w));
        out.push(if shared {
            format!("={}", first + 1)
        } else {
            (first + 1).to_string()
        });
    }
    out
}

/// An optional value with three decimals, `—` when absent.
pub fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_else(|| "—".into())
}

/// An optional change with explicit sign, `—` when absent.
pub fn change(v: Option<f64>) -> String {
    v.map(|c| format!("{c:+.3}")).unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ties_share_a_rank() {
        assert_eq!(
            rank_labels(&[0.9, 0.5, 0.5, 0.5, 0.4, 0.4, 0.1]),
            vec!["1", "=2", "=2", "=2", "=5", "=5", "7"]
        );
        assert_eq!(rank_labels(&[0.3]), vec!["1"]);
        assert!(rank_labels(&[]).is_empty());
    }

    #[test]
    fn code_spans_escape_only_pipes() {
        assert_eq!(code("lex:world war* (a|b)"), "`lex:world war* (a\\|b)`");
        assert_eq!(code("a`b\nc"), "`a'b c`");
    }

    #[test]
    fn escaping_keeps_tables_intact() {
        assert_eq!(escape("a | b\nc"), "a \\| b<br>c");
        assert_eq!(
            escape("*x* _y_ <b> [l](u)"),
            "\\*x\\* \\_y\\_ &lt;b&gt; \\[l\\](u)"
        );
        assert_eq!(escape("line\r\nnext"), "line<br>next");
        assert!(!escape("| | |\n\n").contains('\n'));
    }

    #[test]
    fn numbers_keep_their_shapes() {
        assert_eq!(pval(0.0004), "<0.001");
        assert_eq!(pval(0.25), "0.250");
        assert_eq!(share(0.001), "1.00e-3");
        assert_eq!(opt(None), "—");
        assert_eq!(change(Some(0.1)), "+0.100");
    }
}
