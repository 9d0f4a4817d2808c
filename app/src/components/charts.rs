//! Bar and line charts as plain SVG text, built on the server: readable
//! without JavaScript, and by screen readers (`<title>`, `<desc>`, and every
//! value written out as a text label, not only drawn).
//!
//! Pure functions of their data; labels are escaped, so a product or machine
//! name cannot inject markup.

use std::fmt::Write;

/// One bar or one point: its label and its value (e.g. minor units).
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub label: String,
    pub value: i64,
}

/// What every chart has: an id unique in its page (for `aria-labelledby`),
/// a title, a description, and how values are written (e.g. as money).
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub format: &'a dyn Fn(i64) -> String,
}

const WIDTH: f64 = 640.0;
const BAR_HEIGHT: f64 = 22.0;
const BAR_GAP: f64 = 8.0;
const LABEL_WIDTH: f64 = 180.0;
const VALUE_WIDTH: f64 = 110.0;
const LINE_HEIGHT: f64 = 220.0;
const PLOT_TOP: f64 = 20.0;
const PLOT_BOTTOM: f64 = 30.0;
const PLOT_LEFT: f64 = 20.0;
const PLOT_RIGHT: f64 = 20.0;

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` as a share of `max`, times `length`; 0 for a non-positive max or value.
pub fn scale(value: i64, max: i64, length: f64) -> f64 {
    if max <= 0 || value <= 0 {
        return 0.0;
    }
    (value as f64 / max as f64 * length).min(length)
}

fn open(chart: &Chart, height: f64) -> String {
    let id = escape(chart.id);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {WIDTH} {height}\" preserveAspectRatio=\"xMinYMin meet\" \
         aria-labelledby=\"{id}-title {id}-desc\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(chart.title),
        escape(chart.desc),
    )
}

fn empty(chart: &Chart) -> String {
    let mut svg = open(chart, 60.0);
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"35\" text-anchor=\"middle\" class=\"chart-empty\">No data yet</text></svg>",
        WIDTH / 2.0
    );
    svg
}

/// Horizontal bars, one row each: label, bar, value.
pub fn bar_chart(chart: &Chart, data: &[Datum]) -> String {
    if data.is_empty() {
        return empty(chart);
    }
    let max = data.iter().map(|d| d.value).max().unwrap_or(0);
    let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let height = data.len() as f64 * (BAR_HEIGHT + BAR_GAP) + BAR_GAP;
    let mut svg = open(chart, height);
    for (n, datum) in data.iter().enumerate() {
        let y = BAR_GAP + n as f64 * (BAR_HEIGHT + BAR_GAP);
        let text_y = y + BAR_HEIGHT * 0.7;
        let length = scale(datum.value, max, room);
        let value = escape(&(chart.format)(datum.value));
        let _ = write!(
            svg,
            "<g class=\"bar\"><text x=\"{lx:.1}\" y=\"{text_y:.1}\" text-anchor=\"end\">{label}</text>\
             <rect x=\"{LABEL_WIDTH:.1}\" y=\"{y:.1}\" width=\"{length:.1}\" height=\"{BAR_HEIGHT:.1}\">\
             <title>{label}: {value}</title></rect>\
             <text x=\"{vx:.1}\" y=\"{text_y:.1}\">{value}</text></g>",
            lx = LABEL_WIDTH - 6.0,
            label = escape(&datum.label),
            vx = LABEL_WIDTH + length + 6.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line through the points, left to right, with the first, the last and
/// the highest value labelled, and every point titled.
pub fn line_chart(chart: &Chart, data: &[Datum]) -> String {
    if data.is_empty() {
        return empty(chart);
    }
    let max = data.iter().map(|d| d.value).max().unwrap_or(0);
    let plot_width = WIDTH - PLOT_LEFT - PLOT_RIGHT;
    let plot_height = LINE_HEIGHT - PLOT_TOP - PLOT_BOTTOM;
    let base = LINE_HEIGHT - PLOT_BOTTOM;
    let x = |n: usize| match data.len() {
        1 => PLOT_LEFT + plot_width / 2.0,
        len => PLOT_LEFT + plot_width * n as f64 / (len - 1) as f64,
    };
    let y = |value: i64| base - scale(value, max, plot_height);
    let mut svg = open(chart, LINE_HEIGHT);
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{PLOT_LEFT:.1}\" y1=\"{base:.1}\" x2=\"{:.1}\" y2=\"{base:.1}\"/>",
        WIDTH - PLOT_RIGHT
    );
    let points: Vec<String> = data
        .iter()
        .enumerate()
        .map(|(n, d)| format!("{:.1},{:.1}", x(n), y(d.value)))
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"line\" fill=\"none\" points=\"{}\"/>",
        points.join(" ")
    );
    let highest = data
        .iter()
        .enumerate()
        .max_by_key(|(n, d)| (d.value, std::cmp::Reverse(*n)))
        .map(|(n, _)| n);
    for (n, datum) in data.iter().enumerate() {
        let (px, py) = (x(n), y(datum.value));
        let label = escape(&datum.label);
        let value = escape(&(chart.format)(datum.value));
        let _ = write!(
            svg,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3\"><title>{label}: {value}</title></circle>"
        );
        if Some(n) == highest && datum.value > 0 {
            let _ = write!(
                svg,
                "<text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"chart-value\">{value}</text>",
                (py - 6.0).max(12.0)
            );
        }
        if n == 0 || n == data.len() - 1 {
            let anchor = match (n, data.len()) {
                (_, 1) => "middle",
                (0, _) => "start",
                _ => "end",
            };
            let _ = write!(
                svg,
                "<text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{label}</text>",
                LINE_HEIGHT - 8.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart<'a>(format: &'a dyn Fn(i64) -> String) -> Chart<'a> {
        Chart {
            id: "sales",
            title: "Sales per machine",
            desc: "Revenue of each machine in the last 30 days",
            format,
        }
    }

    fn data(values: &[(&str, i64)]) -> Vec<Datum> {
        values
            .iter()
            .map(|(label, value)| Datum {
                label: (*label).to_owned(),
                value: *value,
            })
            .collect()
    }

    /// The numbers of every `name="…"` attribute, in order.
    fn attr(svg: &str, name: &str) -> Vec<f64> {
        svg.split(&format!(" {name}=\""))
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
            .collect()
    }

    #[test]
    fn empty_data_says_so_with_title_and_description() {
        let plain = |v: i64| v.to_string();
        for svg in [
            bar_chart(&chart(&plain), &[]),
            line_chart(&chart(&plain), &[]),
        ] {
            assert!(svg.starts_with("<svg"), "{svg}");
            assert!(svg.ends_with("</svg>"));
            assert!(svg.contains("<title id=\"sales-title\">Sales per machine</title>"));
            assert!(svg.contains("<desc id=\"sales-desc\">"));
            assert!(svg.contains("aria-labelledby=\"sales-title sales-desc\""));
            assert!(svg.contains("No data yet"));
        }
    }

    #[test]
    fn one_point_sits_in_the_middle_at_the_top() {
        let plain = |v: i64| v.to_string();
        let svg = line_chart(&chart(&plain), &data(&[("2026-12-06", 250)]));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert_eq!(attr(&svg, "cx"), [WIDTH / 2.0]);
        assert_eq!(attr(&svg, "cy"), [PLOT_TOP]);
        assert!(svg.contains(">2026-12-06</text>"));
        assert!(svg.contains(">250</text>"));
        // One zero point: on the axis, no division by zero.
        let svg = line_chart(&chart(&plain), &data(&[("2026-12-06", 0)]));
        assert_eq!(attr(&svg, "cy"), [LINE_HEIGHT - PLOT_BOTTOM]);
    }

    #[test]
    fn values_scale_to_the_largest() {
        let money = |v: i64| format!("€{}.{:02}", v / 100, v % 100);
        let svg = bar_chart(&chart(&money), &data(&[("a", 1000), ("b", 500), ("c", 0)]));
        let room = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert_eq!(attr(&svg, "width"), [room, room / 2.0, 0.0]);
        assert!(svg.contains(">€10.00</text>") && svg.contains(">€5.00</text>"));
        let svg = line_chart(&chart(&money), &data(&[("1", 0), ("2", 400), ("3", 200)]));
        let base = LINE_HEIGHT - PLOT_BOTTOM;
        let height = LINE_HEIGHT - PLOT_TOP - PLOT_BOTTOM;
        assert_eq!(attr(&svg, "cy"), [base, base - height, base - height / 2.0]);
        assert_eq!(
            attr(&svg, "cx"),
            [PLOT_LEFT, WIDTH / 2.0, WIDTH - PLOT_RIGHT]
        );
        assert_eq!(scale(-5, 100, 10.0), 0.0);
        assert_eq!(scale(5, 0, 10.0), 0.0);
    }

    #[test]
    fn labels_and_titles_are_escaped() {
        let plain = |v: i64| v.to_string();
        let evil = Chart {
            id: "x\"><script>",
            title: "A & B <b>",
            desc: "it's \"quoted\"",
            format: &plain,
        };
        let svg = bar_chart(&evil, &data(&[("<script>alert(1)</script>", 1)]));
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("A &amp; B &lt;b&gt;"));
        assert!(svg.contains("it&#39;s &quot;quoted&quot;"));
        assert!(svg.contains("id=\"x&quot;&gt;&lt;script&gt;-title\""));
    }
}
