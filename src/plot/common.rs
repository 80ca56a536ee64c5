//! Shared pieces of the pictures: fonts, colours, titles, legends, markers.

use plotters::coord::{CoordTranslate, Shift};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;

/// Dark text.
pub(super) const INK: RGBColor = RGBColor(30, 30, 30);
/// Secondary text.
pub(super) const MUTED: RGBColor = RGBColor(90, 90, 90);
/// Within the target.
pub(super) const GOOD: RGBColor = RGBColor(26, 152, 80);
/// Over the target.
pub(super) const LATE: RGBColor = RGBColor(230, 85, 13);
/// Not served / no data.
pub(super) const NONE: RGBColor = RGBColor(140, 140, 140);
/// Target lines.
pub(super) const TARGET: RGBColor = RGBColor(200, 20, 30);
/// Goal lines.
pub(super) const GOAL: RGBColor = RGBColor(70, 70, 70);

/// Distinct colours for patrol loops (avoiding the call colours).
pub(super) const LOOP_COLOURS: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(57, 59, 121),
    RGBColor(188, 189, 34),
    RGBColor(123, 65, 115),
    RGBColor(0, 109, 119),
    RGBColor(214, 39, 40),
    RGBColor(99, 121, 57),
    RGBColor(255, 187, 120),
];

/// Colours for the priorities (1 first).
pub(super) const PRIORITY_COLOURS: [RGBColor; 5] = [
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(31, 119, 180),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// Text in DejaVu Sans at `size` (plotters' unit: about 1.24 × the em in pixels).
pub(super) fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// Bold text.
pub(super) fn bold(size: f64) -> TextStyle<'static> {
    ("sans-serif", size)
        .into_font()
        .style(FontStyle::Bold)
        .color(&INK)
}

/// A text style in another colour.
pub(super) fn coloured(style: TextStyle<'static>, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: colour.to_backend_color(),
        ..style
    }
}

/// A text style anchored at `h`, `v`.
pub(super) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Seconds as `m:ss` (minutes are not wrapped into hours: `218:59`).
pub(super) fn mmss(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let t = s.round().max(0.0) as u64;
    format!("{}:{:02}", t / 60, t % 60)
}

/// A duration as `m:ss`, or `h:mm:ss` from an hour on.
pub(super) fn dur(s: f64) -> String {
    crate::report::hmmss(s)
}

/// A share as a percentage with one decimal.
pub(super) fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// An integer with thousands separators.
pub(super) fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n thing` or `n things`, with thousands separators.
pub(super) fn count(n: usize, thing: &str) -> String {
    format!("{} {thing}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Axis tick label: integers without decimals, others with one.
pub(super) fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v)
    } else {
        format!("{:.1}", v)
    }
}

/// Shorten a label to `max` characters, cutting out its middle (names
/// often differ only at the end: `Post: Armed…point 12`).
pub(super) fn clip_label(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 3 {
        return s.to_string();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// Draw a title (and a subtitle, if not empty) across the top of `root`;
/// return the area below.
pub(super) fn title_block<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = root.dim_in_pixel();
    let cx = w as i32 / 2;
    root.draw(&Text::new(
        title.to_string(),
        (cx, 10),
        anchored(bold(28.0), HPos::Center, VPos::Top),
    ))?;
    let mut h = 46;
    if !subtitle.is_empty() {
        root.draw(&Text::new(
            subtitle.to_string(),
            (cx, 44),
            anchored(font(17.0).color(&MUTED), HPos::Center, VPos::Top),
        ))?;
        h = 70;
    }
    Ok(root.split_vertically(h).1)
}

/// A legend sample.
#[derive(Clone, Copy, Debug)]
pub(super) enum Swatch {
    /// A solid line.
    Line(RGBColor, u32),
    /// A dashed line.
    Dashed(RGBColor, u32),
    /// A filled box.
    Fill(RGBColor),
    /// A small filled dot.
    Dot(RGBColor),
    /// A map or chart marker.
    Mark(Marker),
    /// A horizontal whisker with end ticks.
    Whisker,
    /// A short vertical tick.
    Tick(RGBColor),
}

/// Point markers.
#[derive(Clone, Copy, Debug)]
pub(super) enum Marker {
    /// Filled square with a dark outline.
    Square(RGBColor),
    /// Filled triangle with a dark outline.
    Triangle(RGBColor),
    /// Filled diamond with a dark outline.
    Diamond(RGBColor),
    /// Thick plus sign with a dark outline.
    Plus(RGBColor),
    /// Filled circle with a dark outline.
    Circle(RGBColor),
    /// Ring (unfilled circle).
    Ring(RGBColor),
}

/// Draw a marker of radius `r` pixels at `at` (in the area's coordinates).
pub(super) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    m: Marker,
    r: i32,
) -> DrawResult<DB> {
    let edge = ShapeStyle::from(&INK).stroke_width(1);
    match m {
        Marker::Square(c) => area.draw(
            &(EmptyElement::at(at)
                + Rectangle::new([(-r, -r), (r, r)], c.filled())
                + Rectangle::new([(-r, -r), (r, r)], edge)),
        ),
        Marker::Triangle(c) => {
            let pts = vec![(0, -r - 1), (r + 1, r), (-r - 1, r), (0, -r - 1)];
            area.draw(
                &(EmptyElement::at(at)
                    + Polygon::new(pts.clone(), c.filled())
                    + PathElement::new(pts, edge)),
            )
        }
        Marker::Diamond(c) => {
            let q = r + 1;
            let pts = vec![(0, -q), (q, 0), (0, q), (-q, 0), (0, -q)];
            area.draw(
                &(EmptyElement::at(at)
                    + Polygon::new(pts.clone(), c.filled())
                    + PathElement::new(pts, edge)),
            )
        }
        Marker::Plus(c) => {
            let a = r + 1;
            let b = (r / 3).max(1);
            let pts = vec![
                (-b, -a),
                (b, -a),
                (b, -b),
                (a, -b),
                (a, b),
                (b, b),
                (b, a),
                (-b, a),
                (-b, b),
                (-a, b),
                (-a, -b),
                (-b, -b),
                (-b, -a),
            ];
            area.draw(
                &(EmptyElement::at(at)
                    + Rectangle::new([(-a, -b), (a, b)], c.filled())
                    + Rectangle::new([(-b, -a), (b, a)], c.filled())
                    + PathElement::new(pts, edge)),
            )
        }
        Marker::Circle(c) => area.draw(
            &(EmptyElement::at(at)
                + Circle::new((0, 0), r, c.filled())
                + Circle::new((0, 0), r, edge)),
        ),
        Marker::Ring(c) => area.draw(
            &(EmptyElement::at(at) + Circle::new((0, 0), r, ShapeStyle::from(&c).stroke_width(3))),
        ),
    }
}

/// Draw a dashed line between two points of the area's coordinates.
pub(super) fn dashed<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    from: CT::From,
    to: CT::From,
    colour: RGBColor,
    width: u32,
) -> DrawResult<DB>
where
    CT::From: Clone,
{
    area.draw(&DashedPathElement::new(
        vec![from, to],
        8,
        5,
        ShapeStyle::from(&colour).stroke_width(width),
    ))
}

/// Draw a legend sample centred at `(x, y)` (pixels in `area`), 28 px wide.
fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Swatch,
    x: i32,
    y: i32,
) -> DrawResult<DB> {
    match s {
        Swatch::Line(c, w) => area.draw(&PathElement::new(
            vec![(x - 14, y), (x + 14, y)],
            ShapeStyle::from(&c).stroke_width(w),
        )),
        Swatch::Dashed(c, w) => area.draw(&DashedPathElement::new(
            vec![(x - 14, y), (x + 14, y)],
            7,
            4,
            ShapeStyle::from(&c).stroke_width(w),
        )),
        Swatch::Fill(c) => {
            area.draw(&Rectangle::new(
                [(x - 9, y - 7), (x + 9, y + 7)],
                c.filled(),
            ))?;
            area.draw(&Rectangle::new(
                [(x - 9, y - 7), (x + 9, y + 7)],
                ShapeStyle::from(&MUTED).stroke_width(1),
            ))
        }
        Swatch::Dot(c) => area.draw(&Circle::new((x, y), 4, c.filled())),
        Swatch::Mark(m) => draw_marker(area, (x, y), m, 6),
        Swatch::Whisker => {
            let st = ShapeStyle::from(&INK).stroke_width(2);
            area.draw(&PathElement::new(vec![(x - 14, y), (x + 14, y)], st))?;
            area.draw(&PathElement::new(
                vec![(x + 14, y - 6), (x + 14, y + 6)],
                st,
            ))
        }
        Swatch::Tick(c) => area.draw(&PathElement::new(
            vec![(x, y - 9), (x, y + 9)],
            ShapeStyle::from(&c).stroke_width(3),
        )),
    }
}

/// Draw a legend as one row centred in `area` (vertically centred too).
pub(super) fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(Swatch, String)],
    size: f64,
) -> DrawResult<DB> {
    let style = font(size);
    let gap = 22;
    let mut widths = Vec::with_capacity(entries.len());
    for (_, label) in entries {
        let (w, _) = area.estimate_text_size(label, &style)?;
        widths.push(34 + w as i32);
    }
    let total: i32 = widths.iter().sum::<i32>() + gap * (entries.len() as i32 - 1).max(0);
    let (aw, ah) = area.dim_in_pixel();
    let mut x = ((aw as i32 - total) / 2).max(4);
    let y = ah as i32 / 2;
    for ((swatch, label), w) in entries.iter().zip(widths) {
        draw_swatch(area, *swatch, x + 14, y)?;
        area.draw(&Text::new(
            label.clone(),
            (x + 34, y),
            anchored(style.clone(), HPos::Left, VPos::Center),
        ))?;
        x += w + gap;
    }
    Ok(())
}

/// Draw one legend line (sample and label) with its left edge at `(x, y)`.
pub(super) fn legend_item<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    label: &str,
    (x, y): (i32, i32),
    size: f64,
) -> DrawResult<DB> {
    draw_swatch(area, swatch, x + 14, y)?;
    area.draw(&Text::new(
        label.to_string(),
        (x + 36, y),
        anchored(font(size), HPos::Left, VPos::Center),
    ))
}

/// A message in the middle of an area (for empty charts).
pub(super) fn message<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2),
        anchored(font(20.0).color(&MUTED), HPos::Center, VPos::Center),
    ))
}

/// Convert an absolute backend pixel to `area`'s own pixel coordinates.
pub(super) fn rel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: (i32, i32)) -> (i32, i32) {
    let (bx, by) = area.get_base_pixel();
    (p.0 - bx, p.1 - by)
}

/// Round `x` up to a multiple of `step`.
pub(super) fn ceil_to(x: f64, step: f64) -> f64 {
    (x / step).ceil() * step
}
