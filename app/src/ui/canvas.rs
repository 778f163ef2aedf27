//! Draws a [`Plot`] or a [`Heatmap`] on a canvas with plotters. The only code that touches the canvas.

use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::chart::axis::{log_ticks, time_ticks, value_ticks, Tick};
use crate::chart::heatmap::Heatmap;
use crate::chart::plot::{OffsetAt, Plot, PALETTE};
use crate::theme::{mix, ChartColors};

/// The plotting area in canvas pixels: `((x0, x1), (y0, y1))`, for mapping the pointer back to data.
pub type Area = ((i32, i32), (i32, i32));

/// How to draw, apart from the data.
#[derive(Clone, Copy)]
pub struct Style {
    /// Values are log10: ticks at powers of ten, labelled with `10^y`.
    pub log_scale: bool,
    /// The offset added to each time for its axis label (UTC: 0).
    pub offset: OffsetAt,
    pub colors: ChartColors,
}

/// What a frame drew: the plotting area and the axes' labels, in order (the page keeps them on the
/// canvas for tests and screen readers).
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub area: Area,
    pub x_labels: Vec<String>,
    pub y_labels: Vec<String>,
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordi64, RangedCoordf64>>;

const MARGIN: i32 = 12;
/// Room under the plot for one line of time labels.
const X_LABELS_HEIGHT: i32 = 22;
/// Pixels per tick, at most: values up the side, times across.
const Y_TICK_PX: i32 = 36;
const X_TICK_PX: i32 = 100;

fn font(colors: &ChartColors) -> TextStyle<'static> {
    ("sans-serif", 12).into_font().color(&rgb(colors.text))
}

/// The most value ticks a canvas `height` pixels high has room for.
pub fn max_value_ticks(height: u32) -> usize {
    ((height as i32 - 2 * MARGIN - X_LABELS_HEIGHT) / Y_TICK_PX).max(2) as usize
}

/// Times `x` across and `y` up, with grid lines and labels at `y_ticks` and at round instants: the
/// value gutter is as wide as its widest label, so none is cut, and a time label that would reach
/// past the canvas is left out.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    x: (i64, i64),
    y: (f64, f64),
    y_ticks: &[Tick<f64>],
    style: &Style,
) -> Option<(TimeChart<'a, DB>, Frame)> {
    let text = font(&style.colors);
    let width = |s: &str| root.estimate_text_size(s, &text).map_or(0, |(w, _)| w as i32);
    let gutter = y_ticks.iter().map(|t| width(&t.label)).max().unwrap_or(0) + 10;
    let mut chart = ChartBuilder::on(root)
        .margin(MARGIN)
        .x_label_area_size(X_LABELS_HEIGHT)
        .y_label_area_size(gutter.max(24))
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .ok()?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let x_ticks =
        time_ticks(x.0, x.1, (style.offset)(x.0), ((xr.end - xr.start) / X_TICK_PX).max(2) as usize);
    let light = rgb(style.colors.grid_light);
    let grid = y_ticks
        .iter()
        .map(|t| PathElement::new(vec![(x.0, t.at), (x.1, t.at)], light))
        .chain(x_ticks.iter().map(|t| PathElement::new(vec![(t.at, y.0), (t.at, y.1)], light)));
    chart.draw_series(grid).ok()?;
    let bold = rgb(style.colors.grid_bold);
    chart.draw_series([PathElement::new(vec![(x.0, y.1), (x.0, y.0), (x.1, y.0)], bold)]).ok()?;

    let mut y_labels = Vec::new();
    for t in y_ticks {
        let (_, py) = chart.backend_coord(&(x.0, t.at));
        let at = (xr.start - 6, py);
        root.draw(&Text::new(t.label.clone(), at, text.pos(Pos::new(HPos::Right, VPos::Center)))).ok()?;
        y_labels.push(t.label.clone());
    }
    let (canvas_width, _) = root.dim_in_pixel();
    let mut x_labels = Vec::new();
    for t in &x_ticks {
        let (px, _) = chart.backend_coord(&(t.at, y.0));
        let half = width(&t.label) / 2 + 1;
        if px - half < 0 || px + half > canvas_width as i32 {
            continue;
        }
        let at = (px, yr.end + 6);
        root.draw(&Text::new(t.label.clone(), at, text.pos(Pos::new(HPos::Center, VPos::Top)))).ok()?;
        x_labels.push(t.label.clone());
    }
    let area = ((xr.start, xr.end), (yr.start, yr.end));
    Some((chart, Frame { area, x_labels, y_labels }))
}

/// The value ticks of `plot` on a canvas `height` pixels high.
fn plot_ticks(plot: &Plot, style: &Style, height: u32) -> Vec<Tick<f64>> {
    // Without a point there is no value scale to show.
    if plot.series.iter().all(|s| s.points.is_empty()) {
        return Vec::new();
    }
    let max = max_value_ticks(height);
    if style.log_scale {
        log_ticks(plot.y.0, plot.y.1, plot.unit, max)
    } else {
        value_ticks(plot.y.0, plot.y.1, plot.unit, max)
    }
}

/// Draws the background, axes and grid. Returns what it drew, or `None` if the canvas could not be
/// drawn on (detached, zero-sized).
pub fn draw_frame(canvas: &HtmlCanvasElement, plot: &Plot, style: &Style) -> Option<Frame> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&rgb(style.colors.background)).ok()?;
    let ticks = plot_ticks(plot, style, canvas.height());
    let (_, drawn) = frame(&root, plot.x, plot.y, &ticks, style)?;
    root.present().ok()?;
    Some(drawn)
}

/// Draws the lines of series `lines` into `area`, the plotting area [`draw_frame`] drew.
pub fn draw_lines(
    canvas: &HtmlCanvasElement,
    plot: &Plot,
    area: Area,
    lines: std::ops::Range<usize>,
) -> Option<()> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    let ((x0, x1), (y0, y1)) = area;
    let (w, h) = root.dim_in_pixel();
    let inner = root.margin(y0, h as i32 - y1, x0, w as i32 - x1);
    let mut chart =
        ChartBuilder::on(&inner).build_cartesian_2d(plot.x.0..plot.x.1, plot.y.0..plot.y.1).ok()?;
    for i in lines.start..lines.end.min(plot.series.len()) {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        for run in plot.segments(i) {
            // Stacked: the band between this series and the stack below, under its line.
            if let Some(band) = plot.band(i, run.clone()).filter(|b| b.len() > 2) {
                chart.draw_series([Polygon::new(band, color.mix(0.28).filled())]).ok()?;
            }
            let seg = &plot.series[i].points[run];
            if seg.len() == 1 {
                chart.draw_series(seg.iter().map(|p| Circle::new(*p, 2, color.filled()))).ok()?;
            } else {
                let line = crate::chart::plot::decimate(seg, plot.x, canvas.width() as usize);
                chart.draw_series(LineSeries::new(line, color.stroke_width(2))).ok()?;
            }
        }
    }
    root.present().ok()
}

/// Draws one histogram as cells: time across, buckets up (bucket `i` spans `i..i+1`, so the line at
/// `k` is bucket `k-1`'s upper bound), colour by count. Each sample covers the step before it.
pub fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    h: &Heatmap,
    x: (i64, i64),
    step_ms: i64,
    style: &Style,
) -> Option<Frame> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&rgb(style.colors.background)).ok()?;
    let n = h.buckets.len().max(1);
    // At most as many bound labels as there is room for, evenly spread.
    let every = n.div_ceil(max_value_ticks(canvas.height())).max(1);
    let ticks: Vec<Tick<f64>> = (1..=h.buckets.len())
        .filter(|k| k % every == 0)
        .map(|k| Tick { at: k as f64, label: h.buckets[k - 1].clone() })
        .collect();
    let (mut chart, drawn) = frame(&root, x, (0.0, n as f64), &ticks, style)?;
    let max = if h.max > 0.0 { h.max } else { 1.0 };
    let (low, high) = (style.colors.heat_low, style.colors.heat_high);
    for (i, row) in h.cells.iter().enumerate() {
        let cells = row.iter().zip(&h.times).filter_map(|(v, t)| {
            let v = (*v)?;
            let color = rgb(mix(low, high, v / max));
            Some(Rectangle::new([((*t - step_ms).max(x.0), i as f64), (*t, i as f64 + 1.0)], color.filled()))
        });
        chart.draw_series(cells).ok()?;
    }
    let ((x0, _), (y0, _)) = drawn.area;
    let _ = root.draw(&Text::new(
        h.name.clone(),
        (x0 + 6, y0 + 4),
        font(&style.colors).pos(Pos::new(HPos::Left, VPos::Top)),
    ));
    root.present().ok()?;
    Some(drawn)
}
