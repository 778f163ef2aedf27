//! Draws a [`Plot`] on a canvas with plotters. The only code that touches the canvas.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::format::short_value;
use crate::plot::{time_label, Plot, PALETTE};

/// The plotting area in canvas pixels: `((x0, x1), (y0, y1))`, for mapping the pointer back to data.
pub type Area = ((i32, i32), (i32, i32));

/// Draws axes, grid and one line per series. Returns the plotting area, or `None` if the canvas
/// could not be drawn on (detached, zero-sized).
pub fn draw(canvas: &HtmlCanvasElement, plot: &Plot) -> Option<Area> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let span = plot.x.1 - plot.x.0;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(plot.x.0..plot.x.1, plot.y.0..plot.y.1)
        .ok()?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|t| time_label(*t, span))
        .y_label_formatter(&|v| short_value(*v))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(220, 220, 220))
        .label_style(("sans-serif", 12))
        .draw()
        .ok()?;
    for i in 0..plot.series.len() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        for seg in plot.segments(i) {
            if seg.len() == 1 {
                chart.draw_series(seg.iter().map(|p| Circle::new(*p, 2, color.filled()))).ok()?;
            } else {
                chart.draw_series(LineSeries::new(seg.iter().copied(), color.stroke_width(2))).ok()?;
            }
        }
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    root.present().ok()?;
    Some(((xr.start, xr.end), (yr.start, yr.end)))
}
