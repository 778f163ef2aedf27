//! Draws a [`Plot`] or a [`Heatmap`] on a canvas with plotters. The only code that touches the canvas.

use plotters::chart::MeshStyle;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::chart::heatmap::Heatmap;
use crate::chart::plot::{time_label, OffsetAt, Plot, PALETTE};
use crate::format::short_value;
use crate::theme::{mix, ChartColors};

/// The plotting area in canvas pixels: `((x0, x1), (y0, y1))`, for mapping the pointer back to data.
pub type Area = ((i32, i32), (i32, i32));

/// How to draw, apart from the data.
#[derive(Clone, Copy)]
pub struct Style {
    /// Values are log10: the Y labels show `10^y`.
    pub log_scale: bool,
    /// The offset added to each time for its axis label (UTC: 0).
    pub offset: OffsetAt,
    pub colors: ChartColors,
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordi64, RangedCoordf64>>;

/// Times `x` across and `y` up on `root`, with room for the labels: every drawing call builds them
/// alike, so lines drawn in later calls land on the frame drawn in the first.
fn cartesian<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: (i64, i64),
    y: (f64, f64),
) -> Option<TimeChart<'_, DB>> {
    ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .ok()
}

/// The grid, axes and labels in the theme's colours.
fn themed<X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    colors: &ChartColors,
) {
    mesh.light_line_style(rgb(colors.grid_light))
        .bold_line_style(rgb(colors.grid_bold))
        .axis_style(rgb(colors.grid_bold))
        .label_style(("sans-serif", 12).into_font().color(&rgb(colors.text)));
}

/// Draws the background, axes and grid. Returns the plotting area, or `None` if the canvas could not
/// be drawn on (detached, zero-sized).
pub fn draw_frame(canvas: &HtmlCanvasElement, plot: &Plot, style: &Style) -> Option<Area> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&rgb(style.colors.background)).ok()?;
    let span = plot.x.1 - plot.x.0;
    let mut chart = cartesian(&root, plot.x, plot.y)?;
    let log = style.log_scale;
    let x_label = |t: &i64| time_label(*t, span, (style.offset)(*t));
    let y_label = |v: &f64| short_value(if log { 10f64.powf(*v) } else { *v });
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(8).y_labels(6).x_label_formatter(&x_label).y_label_formatter(&y_label);
    themed(&mut mesh, &style.colors);
    mesh.draw().ok()?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    root.present().ok()?;
    Some(((xr.start, xr.end), (yr.start, yr.end)))
}

/// Draws the lines of series `lines` over the frame [`draw_frame`] drew.
pub fn draw_lines(canvas: &HtmlCanvasElement, plot: &Plot, lines: std::ops::Range<usize>) -> Option<()> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    let mut chart = cartesian(&root, plot.x, plot.y)?;
    for i in lines.start..lines.end.min(plot.series.len()) {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        for seg in plot.segments(i) {
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
) -> Option<Area> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&rgb(style.colors.background)).ok()?;
    let span = x.1 - x.0;
    let n = h.buckets.len().max(1);
    let mut chart = cartesian(&root, x, (0.0, n as f64))?;
    let x_label = |t: &i64| time_label(*t, span, (style.offset)(*t));
    let y_label = |v: &f64| {
        let k = v.round();
        if (v - k).abs() > 1e-9 || k < 1.0 {
            return String::new();
        }
        h.buckets.get(k as usize - 1).cloned().unwrap_or_default()
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(8)
        .y_labels(n.min(12) + 1)
        .disable_y_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label);
    themed(&mut mesh, &style.colors);
    mesh.draw().ok()?;
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
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let _ = root.draw(&Text::new(
        h.name.clone(),
        (xr.start + 6, yr.start + 4),
        ("sans-serif", 12).into_font().color(&rgb(style.colors.text)).pos(Pos::new(HPos::Left, VPos::Top)),
    ));
    root.present().ok()?;
    Some(((xr.start, xr.end), (yr.start, yr.end)))
}
