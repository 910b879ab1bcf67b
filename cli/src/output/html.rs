//! `--html FILE`: the report as one self-contained HTML page — inline CSS
//! and SVG, no script, no fetch (a Content-Security-Policy forbids any), a
//! bar chart per statistic with each value's 95 % interval, the privacy
//! parameters and a budget gauge.

use std::fmt::Write as _;

use super::terminal::{amounts, cost};
use super::{Amounts, BudgetView, Report, RowView, TableView, show_amount};
use crate::stats::thousands_i;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink:#1c2430; --muted:#5b6676; --line:#e3e7ee; --bg:#f4f6f9; --card:#fff;
  --bar:#4c78a8; --bar2:#72b7b2; --accent:#d1495b; --spent:#8a94a6; --now:#2b59c3; --left:#e8edf5; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 20px 48px; }
header h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
.badge { display:inline-block; background:#e7efff; color:#1d4ed8; border-radius:999px;
  padding:2px 10px; font-size:12px; font-weight:600; margin-right:8px; vertical-align:2px; }
.grid { display:grid; grid-template-columns: 1fr 1fr; gap:16px; margin:22px 0; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:18px 20px;
  box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.card h2 { font-size:16px; margin:0 0 10px; }
section.table { margin-top:18px; }
section.table h2 { font-size:19px; margin:0 0 6px; }
.params { color:var(--muted); font-size:13.5px; margin:0 0 12px; }
.params b { color:var(--ink); font-weight:600; }
dl { display:grid; grid-template-columns:auto 1fr; gap:4px 14px; margin:0; font-size:14px; }
dt { color:var(--muted); } dd { margin:0; font-variant-numeric: tabular-nums; }
h3 { font-size:14px; margin:14px 0 4px; color:var(--muted); font-weight:600; }
svg { display:block; width:100%; height:auto; }
svg text { font-family: inherit; fill: var(--ink); }
.tick { font-size:11px; fill: var(--muted); }
.lbl { font-size:12.5px; } .val { font-size:12px; fill: var(--muted); }
table.data { border-collapse:collapse; width:100%; font-size:13px; margin-top:6px;
  font-variant-numeric: tabular-nums; }
table.data th, table.data td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:right; }
table.data th:first-child, table.data td:first-child { text-align:left; }
table.data th { color:var(--muted); font-weight:600; }
.ci { color:var(--muted); font-size:12px; }
details summary { cursor:pointer; color:var(--now); font-size:13.5px; margin-top:8px; }
.note { background:#fff7e6; border:1px solid #f3d9a4; color:#6b4e16; border-radius:8px;
  padding:8px 12px; font-size:13.5px; margin-top:10px; }
.alert { background:#fdecee; border:1px solid #f3b6be; color:#8a1c2b; border-radius:8px;
  padding:8px 12px; font-size:13.5px; margin-top:10px; }
.legend { display:flex; gap:14px; flex-wrap:wrap; font-size:12.5px; color:var(--muted); margin-top:8px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
footer { color:var(--muted); font-size:13px; margin-top:28px; border-top:1px solid var(--line); padding-top:14px; }
@media (max-width: 720px) { .grid { grid-template-columns: 1fr; } }
"#;

/// The report as one HTML page.
pub fn render(report: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&report.title)
    );
    let _ = writeln!(
        h,
        "<header><h1>{}</h1><p><span class=\"badge\">differentially private</span>Released {} by {} · \
         every value is noisy; bars show it with its 95% interval</p></header>",
        escape(&report.title),
        escape(&report.generated_at.replace('T', " ").replace('Z', " UTC")),
        escape(&report.generator)
    );
    h.push_str("<div class=\"grid\">\n");
    privacy_card(&mut h, report);
    budget_card(&mut h, &report.budget);
    h.push_str("</div>\n");
    for t in &report.tables {
        table_section(&mut h, t);
    }
    h.push_str(
        "<footer>How to read this report: each number was released with differential privacy, \
         so it is the true value (after each patron's contribution was bounded as stated) plus \
         random noise; with probability 95% the noise is within the interval shown. Groups \
         selected from the data appear only when enough patrons used them. Exact figures \
         about the input are not part of this report.</footer>\n",
    );
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn privacy_card(h: &mut String, r: &Report) {
    h.push_str("<div class=\"card\"><h2>Privacy</h2><dl>");
    let _ = write!(
        h,
        "<dt>Protects</dt><dd>each {} (everything one {} contributed)</dd>",
        r.privacy_unit, r.privacy_unit
    );
    let _ = write!(
        h,
        "<dt>This report</dt><dd>{} (one spend)</dd>",
        escape(&cost(&r.cost))
    );
    for t in &r.tables {
        let _ = write!(
            h,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&t.name),
            escape(&cost(&t.cost))
        );
    }
    let _ = writeln!(
        h,
        "<dt>Account</dt><dd>{}</dd></dl></div>",
        escape(&r.budget.account)
    );
}

/// The share of `limit` that `x` is (0 when there is no limit).
fn frac(x: Option<f64>, limit: Option<f64>) -> f64 {
    match (x, limit) {
        (Some(x), Some(l)) if l > 0.0 => (x / l).clamp(0.0, 1.0),
        (Some(x), Some(_)) if x > 0.0 => 1.0,
        _ => 0.0,
    }
}

fn budget_card(h: &mut String, b: &BudgetView) {
    let (before, now) = if b.limit.epsilon.is_some() {
        (
            frac(b.spent_before.epsilon, b.limit.epsilon),
            frac(b.this_report.epsilon, b.limit.epsilon),
        )
    } else {
        (
            frac(b.spent_before.rho, b.limit.rho),
            frac(b.this_report.rho, b.limit.rho),
        )
    };
    let now = now.min(1.0 - before);
    let (w, x0) = (560.0, 0.0);
    let bw = |f: f64| f * w;
    let _ = write!(
        h,
        "<div class=\"card\"><h2>Budget · {}</h2>\
         <svg viewBox=\"0 0 {w} 64\" role=\"img\" aria-label=\"budget used\">\
         <rect x=\"{x0}\" y=\"10\" width=\"{w}\" height=\"22\" rx=\"6\" fill=\"var(--left)\"/>\
         <rect x=\"{x0}\" y=\"10\" width=\"{:.1}\" height=\"22\" rx=\"6\" fill=\"var(--spent)\"/>\
         <rect x=\"{:.1}\" y=\"10\" width=\"{:.1}\" height=\"22\" fill=\"var(--now)\"/>\
         <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"4\" y2=\"38\" stroke=\"var(--accent)\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>\
         <text class=\"tick\" x=\"{:.1}\" y=\"52\" text-anchor=\"middle\">alert {:.0}%</text>\
         <text class=\"tick\" x=\"0\" y=\"52\">0</text>\
         <text class=\"tick\" x=\"{w}\" y=\"52\" text-anchor=\"end\">limit</text>\
         </svg>",
        escape(&b.period),
        bw(before),
        bw(before),
        bw(now),
        bw(b.alert_threshold.min(1.0)),
        bw(b.alert_threshold.min(1.0)),
        bw(b.alert_threshold.min(1.0)).clamp(30.0, w - 30.0),
        b.alert_threshold * 100.0
    );
    h.push_str(
        "<div class=\"legend\"><span><i style=\"background:var(--spent)\"></i>spent before</span>\
         <span><i style=\"background:var(--now)\"></i>this report</span>\
         <span><i style=\"background:var(--left);border:1px solid var(--line)\"></i>left</span></div>",
    );
    let _ = write!(
        h,
        "<dl style=\"margin-top:10px\"><dt>Spent</dt><dd>{} of {}</dd><dt>Left</dt><dd>{}</dd>\
         <dt>Ledger entry</dt><dd>{}</dd></dl>",
        escape(&amounts(&b.spent)),
        escape(&amounts(&b.limit)),
        escape(&amounts(&b.left)),
        b.ledger_entry
    );
    if b.alerted {
        let _ = write!(
            h,
            "<div class=\"alert\">Alert: {:.0}% of this {} limit is used (threshold {:.0}%){}.</div>",
            b.used_fraction * 100.0,
            escape(&b.period),
            b.alert_threshold * 100.0,
            if b.alert_crossed_now {
                "; this report crossed it"
            } else {
                ""
            }
        );
    }
    h.push_str("</div>\n");
}

fn table_section(h: &mut String, t: &TableView) {
    let _ = write!(
        h,
        "<section class=\"table card\"><h2>{}</h2><p class=\"params\"><b>{}</b> · {} noise · groups: {}{} · \
         each patron in at most <b>{}</b> group{}, adding at most <b>{}</b> to each{}",
        escape(&t.title),
        escape(&cost(&t.cost)),
        t.noise,
        t.groups,
        t.selection_threshold
            .map(|k| format!(" (shown when their noisy number of patrons reaches {k})"))
            .unwrap_or_default(),
        t.max_groups_per_patron,
        if t.max_groups_per_patron == 1 {
            ""
        } else {
            "s"
        },
        t.max_per_group,
        if t.max_per_group_chosen_privately {
            " (chosen privately)"
        } else {
            ""
        }
    );
    if let Some(v) = &t.value {
        let _ = write!(
            h,
            " · {} clamped to [{}, {}]",
            escape(&v.column),
            v.lo,
            v.hi
        );
    }
    h.push_str("</p>\n");
    if t.rows.is_empty() {
        h.push_str("<p class=\"params\">No group was released.</p>");
    } else {
        let counted = if t.counted == "rows" {
            "Count".to_owned()
        } else {
            format!(
                "Sum of {}",
                t.counted.trim_start_matches("values of column ")
            )
        };
        let _ = write!(
            h,
            "<h3>{} (±{} at 95%)</h3>",
            escape(&counted),
            thousands_i(t.count_half_width_95)
        );
        chart(
            h,
            &t.rows,
            |r| {
                r.count
                    .zip(r.count_95)
                    .map(|(v, [lo, hi])| (v as f64, lo as f64, hi as f64))
            },
            "var(--bar)",
            0,
            None,
        );
        if let Some(v) = &t.value {
            if v.show_sum {
                let _ = write!(
                    h,
                    "<h3>Sum of {} (±{} at 95%)</h3>",
                    escape(&v.column),
                    thousands_i(v.sum_half_width_95)
                );
                chart(
                    h,
                    &t.rows,
                    |r| {
                        r.sum
                            .zip(r.sum_95)
                            .map(|(v, [lo, hi])| (v as f64, lo as f64, hi as f64))
                    },
                    "var(--bar2)",
                    0,
                    None,
                );
            }
            if v.show_mean {
                let _ = write!(h, "<h3>Mean {} (95% interval)</h3>", escape(&v.column));
                chart(
                    h,
                    &t.rows,
                    |r| r.mean.zip(r.mean_95).map(|(m, [lo, hi])| (m, lo, hi)),
                    "var(--bar2)",
                    1,
                    Some((v.lo as f64, v.hi as f64)),
                );
            }
        }
        data_table(h, t);
    }
    for n in &t.notes {
        let _ = write!(h, "<div class=\"note\">{}</div>", escape(n));
    }
    h.push_str("</section>\n");
}

/// A number for a chart label.
fn label(x: f64, decimals: usize) -> String {
    if decimals == 0 {
        thousands_i(x.round() as i64)
    } else {
        format!("{x:.decimals$}")
    }
}

/// A "nice" axis maximum at or above `x`.
fn nice_max(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

/// A horizontal bar chart: one bar per row with its 95 % interval.
fn chart(
    h: &mut String,
    rows: &[RowView],
    value: impl Fn(&RowView) -> Option<(f64, f64, f64)>,
    color: &str,
    decimals: usize,
    domain: Option<(f64, f64)>,
) {
    let (width, label_w, right_pad, row_h, top) = (900.0, 170.0, 90.0, 26.0, 22.0);
    let plot_w = width - label_w - right_pad;
    let points: Vec<Option<(f64, f64, f64)>> = rows.iter().map(&value).collect();
    let min = points
        .iter()
        .flatten()
        .map(|p| p.1.min(p.0))
        .fold(0.0f64, f64::min);
    let max = points
        .iter()
        .flatten()
        .map(|p| p.2.max(p.0))
        .fold(0.0f64, f64::max);
    let (lo, hi) = match domain {
        Some((lo, hi)) if hi > lo => (lo.min(0.0), hi),
        _ => (if min < 0.0 { -nice_max(-min) } else { 0.0 }, nice_max(max)),
    };
    let x = |v: f64| label_w + (v - lo) / (hi - lo) * plot_w;
    let height = top + row_h * rows.len() as f64 + 8.0;
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {width} {height:.0}\" role=\"img\" aria-label=\"bar chart\">"
    );
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(
            h,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2:.1}\" stroke=\"var(--line)\"/>\
             <text class=\"tick\" x=\"{0:.1}\" y=\"13\" text-anchor=\"middle\">{3}</text>",
            x(v),
            top - 4.0,
            height - 4.0,
            label(v, decimals)
        );
    }
    for (i, (r, p)) in rows.iter().zip(&points).enumerate() {
        let y = top + row_h * i as f64;
        let name = r.group.join(" / ");
        let shown: String = if name.chars().count() > 24 {
            name.chars().take(23).chain(std::iter::once('…')).collect()
        } else {
            name.clone()
        };
        let _ = write!(
            h,
            "<text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"><title>{}</title>{}</text>",
            label_w - 10.0,
            y + row_h / 2.0 + 4.0,
            escape(&name),
            escape(&shown)
        );
        match p {
            Some((v, l, u)) => {
                let (a, b) = if *v >= 0.0 {
                    (x(0.0), x(*v))
                } else {
                    (x(*v), x(0.0))
                };
                let mid = y + row_h / 2.0;
                let (xl, xu) = (x(*l), x(*u));
                let _ = write!(
                    h,
                    "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{color}\"/>",
                    y + 5.0,
                    (b - a).max(1.0),
                    row_h - 10.0
                );
                let _ = write!(
                    h,
                    "<g stroke=\"#1c2430\" stroke-width=\"1.5\"><line x1=\"{xl:.1}\" x2=\"{xu:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\"/>\
                     <line x1=\"{xl:.1}\" x2=\"{xl:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                     <line x1=\"{xu:.1}\" x2=\"{xu:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/></g>",
                    mid - 6.0,
                    mid + 6.0,
                    mid - 6.0,
                    mid + 6.0
                );
                let _ = write!(
                    h,
                    "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    x(u.max(*v)) + 6.0,
                    mid + 4.0,
                    label(*v, decimals)
                );
            }
            None => {
                let _ = write!(
                    h,
                    "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\">withheld</text>",
                    label_w + 4.0,
                    y + row_h / 2.0 + 4.0
                );
            }
        }
    }
    h.push_str("</svg>\n");
}

fn data_table(h: &mut String, t: &TableView) {
    h.push_str(
        "<details><summary>The values and their 95% intervals</summary><table class=\"data\"><tr>",
    );
    let _ = write!(
        h,
        "<th>{}</th><th>count</th>",
        escape(&t.group_by.join(" / "))
    );
    let (sum, mean) = t
        .value
        .as_ref()
        .map_or((false, false), |v| (v.show_sum, v.show_mean));
    if let Some(v) = &t.value {
        if sum {
            let _ = write!(h, "<th>sum of {}</th>", escape(&v.column));
        }
        if mean {
            let _ = write!(h, "<th>mean {}</th>", escape(&v.column));
        }
    }
    h.push_str("</tr>");
    let cell = |v: Option<String>, ci: Option<String>| match (v, ci) {
        (Some(v), Some(ci)) => format!("<td>{v} <span class=\"ci\">{ci}</span></td>"),
        (Some(v), None) => format!("<td>{v}</td>"),
        _ => "<td>withheld</td>".to_owned(),
    };
    for r in &t.rows {
        let _ = write!(h, "<tr><td>{}</td>", escape(&r.group.join(" / ")));
        h.push_str(&cell(
            r.count.map(thousands_i),
            r.count_95
                .map(|[a, b]| format!("[{}, {}]", thousands_i(a), thousands_i(b))),
        ));
        if sum {
            h.push_str(&cell(
                r.sum.map(thousands_i),
                r.sum_95
                    .map(|[a, b]| format!("[{}, {}]", thousands_i(a), thousands_i(b))),
            ));
        }
        if mean {
            h.push_str(&cell(
                r.mean.map(|m| format!("{m:.1}")),
                r.mean_95.map(|[a, b]| format!("[{a:.1}, {b:.1}]")),
            ));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></details>\n");
}

/// Amounts for an attribute-free text (used by tests).
pub fn amounts_text(a: &Amounts) -> String {
    let mut s = amounts(a);
    if s.is_empty() {
        s = show_amount(0.0);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{fffd}b");
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(87.0), 100.0);
        assert_eq!(nice_max(101.0), 120.0);
        assert_eq!(nice_max(105_861.0), 120_000.0);
        assert_eq!(nice_max(2300.0), 2500.0);
        assert_eq!(nice_max(0.0), 1.0);
    }
}
