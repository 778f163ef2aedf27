//! The Graph tab: range controls, display options, the chart (lines or a histogram heatmap), its
//! legend, the hover read-outs and drag-to-zoom.

use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::prelude::*;
use promapi::{QueryData, RangeSeries};
use web_sys::HtmlCanvasElement;

use super::outcome::QueryResult;
use crate::chart::axis::{format_value, Unit};
use crate::chart::heatmap::{heatmaps, Cell};
use crate::chart::legend;
use crate::chart::plot::{color_css, pixel_to_data, zone, zoom, Hover, Plot};
use crate::query::navigate::{step, Step};
use crate::query::url_state::{GraphOptions, PanelState};
use crate::theme::chart_colors;
use crate::time::{end_from_zone, end_in_zone, format_time};
use crate::ui::canvas::{self, Area, Style};
use crate::ui::contexts::{Dark, EmbedFrame};
use crate::ui::schedule::{self, sliced};
use crate::ui::task::Latest;

const HEIGHT: u32 = 360;

/// The browser's UTC offset (ms) at instant `t`, so that labels on both sides of a DST change are right.
fn local_offset_at(t: i64) -> i64 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64));
    -(date.get_timezone_offset() * 60_000.0) as i64
}

/// In an embed, the chart's height: the frame below the canvas' top, less what follows the chart
/// (the legend and its head, up to a third of the frame; beyond that the legend scrolls).
fn fill_height(el: &HtmlCanvasElement) -> u32 {
    let Some(w) = web_sys::window() else { return HEIGHT };
    let inner = w.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(f64::from(HEIGHT));
    let top = el.get_bounding_client_rect().top() + w.scroll_y().unwrap_or(0.0);
    let mut below = 0.0;
    let mut next = el.parent_element().and_then(|chart| chart.next_element_sibling());
    while let Some(e) = next {
        below += e.get_bounding_client_rect().height();
        next = e.next_element_sibling();
    }
    (inner - top - below.min(inner / 3.0) - 12.0).max(120.0) as u32
}

/// Lines drawn between two looks at the clock.
const LINES_PER_CALL: usize = 100;

/// Draws the next [`LINES_PER_CALL`] lines from series `from` on: where to go on, or `None` when all
/// are drawn (or the plot is gone: another tab, a removed panel).
fn draw_some(el: &HtmlCanvasElement, plot: Memo<Option<Plot>>, area: Area, from: usize) -> Option<usize> {
    plot.try_with_untracked(|p| {
        let p = p.as_ref()?;
        let end = (from + LINES_PER_CALL).min(p.series.len());
        canvas::draw_lines(el, p, area, from..end)?;
        (end < p.series.len()).then_some(end)
    })
    .flatten()
}

/// `f` of a range result's matrix and (start, end, step), read in place: a million points are not copied.
fn with_matrix<T>(
    result: RwSignal<QueryResult>,
    f: impl FnOnce(&[RangeSeries], (i64, i64, i64)) -> T,
) -> Option<T> {
    result.with(|r| match r {
        QueryResult::Done { outcome, range: Some(range) } => match &outcome.data {
            QueryData::Matrix(m) => Some(f(m, *range)),
            _ => None,
        },
        _ => None,
    })
}

#[component]
pub fn Graph(state: RwSignal<PanelState>, result: RwSignal<QueryResult>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let area = StoredValue::new(None::<Area>);
    let hover = RwSignal::new(None::<Hover>);
    // Where the pointer is over the plot (canvas px), for the tooltip beside it.
    let pointer = RwSignal::new(None::<(i32, i32)>);
    let crosshair = RwSignal::new(Vec::<Hover>::new());
    // The heatmap cell under the pointer.
    let heat_cell = RwSignal::new(None::<Cell>);
    // Drag-to-zoom: where the button went down, and where the pointer is now.
    let drag = RwSignal::new(None::<(i32, i32)>);
    let dark = use_context::<Dark>().map(|d| d.0);
    let frame = use_context::<EmbedFrame>();
    let options = Memo::new(move |_| state.with(|s| s.graph));
    let plot = Memo::new(move |_| {
        let expr = state.with_untracked(|s| s.expr.clone());
        with_matrix(result, |m, (start, end, step)| Plot::from_matrix(m, start, end, step, &expr))
    });
    let histograms = Memo::new(move |_| {
        if !options.get().heatmap {
            return Vec::new();
        }
        with_matrix(result, |m, _| heatmaps(m)).unwrap_or_default()
    });
    // Which histogram the heatmap shows, by name: the same one again after a new answer if it is
    // still there, else the first.
    let chosen_name = RwSignal::new(None::<String>);
    let chosen = Memo::new(move |_| {
        chosen_name
            .with(|name| {
                histograms.with(|hs| name.as_ref().and_then(|n| hs.iter().position(|h| &h.name == n)))
            })
            .unwrap_or(0)
    });
    // Which series the legend shows; all again whenever a new result arrives.
    let visible = RwSignal::new(Vec::<bool>::new());
    let all_legend = RwSignal::new(false);
    Effect::new(move |_| {
        let n = plot.with(|p| p.as_ref().map_or(0, |p| p.series.len()));
        visible.set(vec![true; n]);
    });
    // A legend entry chosen by click or key; `toggle` (Ctrl/⌘) shows or hides just that one.
    let pick = move |i: usize, toggle: bool| visible.update(|v| *v = legend::click(v, i, toggle));
    let view_plot = Memo::new(move |_| {
        let opts = options.get();
        visible.with(|vis| plot.with(|p| p.as_ref().map(|p| p.view(&opts, vis))))
    });
    let offset = move |opts: GraphOptions| zone(opts.local_time, local_offset_at);

    // The drawing in progress: a newer one stops an older one's remaining slices.
    let drawing = Latest::new();
    Effect::new(move |_| {
        let Some(el) = canvas.get() else { return };
        let ticket = drawing.start();
        let opts = options.get();
        let style = Style {
            log_scale: opts.log_scale,
            offset: offset(opts).0,
            colors: chart_colors(dark.map(|d| d.get()).unwrap_or(false)),
        };
        let width = el.client_width().max(320) as u32;
        let height = match frame {
            Some(EmbedFrame(resized)) => {
                resized.track();
                let h = fill_height(&el);
                let _ = el.set_attribute("style", &format!("height:{h}px"));
                h
            }
            None => HEIGHT,
        };
        let drawn = if opts.heatmap {
            let range = plot.with(|p| p.as_ref().map(|p| (p.x, p.step_ms)));
            histograms.with(|hs| match (hs.get(chosen.get()), range) {
                (Some(h), Some((x, step))) => {
                    el.set_width(width);
                    el.set_height(height);
                    canvas::draw_heatmap(&el, h, x, step, &style)
                }
                _ => None,
            })
        } else {
            view_plot.with(|p| {
                p.as_ref().and_then(|p| {
                    el.set_width(width);
                    el.set_height(height);
                    canvas::draw_frame(&el, p, &style)
                })
            })
        };
        area.set_value(drawn.as_ref().map(|f| f.area));
        // The axes' labels, for tests and screen readers: the canvas itself has no text.
        let labels = |l: Option<&Vec<String>>| l.map(|l| l.join(" | ")).unwrap_or_default();
        let _ = el.set_attribute("data-x-labels", &labels(drawn.as_ref().map(|f| &f.x_labels)));
        let _ = el.set_attribute("data-y-labels", &labels(drawn.as_ref().map(|f| &f.y_labels)));
        hover.set(None);
        crosshair.set(Vec::new());
        let Some(drawn_area) = drawn.map(|f| f.area) else { return };
        if opts.heatmap {
            schedule::mark("console:drawn");
            return;
        }
        // The lines, in slices: thousands of series do not hold the page.
        leptos::task::spawn_local(async move {
            let mut next = Some(0);
            let all = sliced("console:draw-slice", || {
                // A newer drawing took over, or the chart is gone.
                if !ticket.is_current() {
                    return Err(());
                }
                next = next.and_then(|from| draw_some(&el, view_plot, drawn_area, from));
                Ok(next.is_none())
            })
            .await;
            if all.is_ok() {
                schedule::mark("console:drawn");
            }
        });
    });

    let inside = move |px: i32, py: i32| {
        area.get_value().filter(|((x0, x1), (y0, y1))| px >= *x0 && px <= *x1 && py >= *y0 && py <= *y1)
    };
    let on_move = move |ev: MouseEvent| {
        let (px, py) = (ev.offset_x(), ev.offset_y());
        if drag.get_untracked().is_some() {
            drag.update(|d| {
                if let Some(d) = d {
                    d.1 = px
                }
            });
        }
        let heat = options.get_untracked().heatmap;
        let found = inside(px, py).filter(|_| !heat).and_then(|a| {
            view_plot.with_untracked(|p| {
                p.as_ref().map(|p| {
                    let (t, v) = pixel_to_data(p.x, p.y, a, px, py);
                    (p.hover(t, v), p.values_at(t))
                })
            })
        });
        let (one, all) = found.unwrap_or_default();
        let cell = inside(px, py).filter(|_| heat).and_then(|a| {
            let (x, step) = plot.with_untracked(|p| p.as_ref().map(|p| (p.x, p.step_ms)))?;
            histograms.with_untracked(|hs| {
                let h = hs.get(chosen.get_untracked())?;
                let (t, y) = pixel_to_data(x, (0.0, h.buckets.len() as f64), a, px, py);
                h.cell_at(t, y, step)
            })
        });
        pointer.set((one.is_some() || cell.is_some()).then_some((px, py)));
        hover.set(one);
        crosshair.set(all);
        heat_cell.set(cell);
    };
    let on_down = move |ev: MouseEvent| {
        if ev.button() == 0 && inside(ev.offset_x(), ev.offset_y()).is_some() {
            ev.prevent_default();
            drag.set(Some((ev.offset_x(), ev.offset_x())));
        }
    };
    let on_up = move |ev: MouseEvent| {
        let Some((a, _)) = drag.get_untracked() else { return };
        drag.set(None);
        let (Some(((x0, x1), _)), Some(x)) =
            (area.get_value(), plot.with_untracked(|p| p.as_ref().map(|p| p.x)))
        else {
            return;
        };
        if let Some((range, end)) = zoom(x, (x0, x1), a, ev.offset_x()) {
            state.update(|s| {
                s.range = range;
                s.end = end;
            });
        }
    };
    let on_leave = move |_| {
        pointer.set(None);
        heat_cell.set(None);
        hover.set(None);
        crosshair.set(Vec::new());
        drag.set(None);
    };

    // Raw values for read-outs: the drawn ones may be stacked sums or logarithms.
    let raw =
        move |h: &Hover| plot.with(|p| p.as_ref().and_then(|p| p.value_at(h.series, h.t))).unwrap_or(h.value);
    let shown_value =
        move |v: f64| format_value(v, plot.with(|p| p.as_ref().map(|p| p.unit).unwrap_or_default()));
    let name =
        move |i: usize| plot.with(|p| p.as_ref().and_then(|p| p.series.get(i)).map(|s| s.name.clone()));
    let when = move |t: i64| {
        let (off, zone) = offset(options.get());
        format!("{} {zone}", format_time(t.saturating_add(off(t))))
    };

    // Beside the pointer, on the side with more room, over the chart: the page never moves.
    let tooltip_style = move || {
        let Some((px, py)) = pointer.get() else { return "display:none".to_string() };
        let ((x0, x1), (y0, y1)) = area.get_value().unwrap_or(((0, 0), (0, 0)));
        let across = if px > (x0 + x1) / 2 {
            format!("right:calc(100% - {}px)", px - 14)
        } else {
            format!("left:{}px", px + 14)
        };
        let up = if py > (y0 + y1) / 2 {
            format!("bottom:calc(100% - {}px)", py - 14)
        } else {
            format!("top:{}px", py + 14)
        };
        format!("{across};{up}")
    };

    let nav = move |to: Step| {
        let (range, end) = state.with_untracked(|s| (s.range.clone(), s.end.clone()));
        if let Some((range, end)) = step(&range, &end, schedule::now_ms() as i64, to) {
            state.update(|s| {
                s.range = range;
                s.end = end;
            });
        }
    };

    let text_input = move |testid: &'static str,
                           placeholder: &'static str,
                           get: fn(&PanelState) -> String,
                           set: fn(&mut PanelState, String)| {
        view! {
            <input type="text" data-testid=testid size="12" placeholder=placeholder
                list=(testid == "range").then_some("range-presets")
                prop:value=move || state.with(get)
                on:change=move |ev| state.update(|s| set(s, event_target_value(&ev).trim().to_string()))/>
        }
    };
    let checkbox = move |testid: &'static str,
                         label: &'static str,
                         get: fn(&GraphOptions) -> bool,
                         set: fn(&mut GraphOptions, bool)| {
        view! {
            <label><input type="checkbox" data-testid=testid prop:checked=move || get(&options.get())
                on:change=move |ev| state.update(|s| set(&mut s.graph, event_target_checked(&ev)))/>{label}</label>
        }
    };
    let empty = move || {
        if options.get().heatmap {
            histograms.with(|h| h.is_empty())
        } else {
            plot.with(|p| p.is_none())
        }
    };

    view! {
        <div class="time-controls">
            <label>"Range " {text_input("range", "1h", |s| s.range.clone(), |s, v| s.range = v)}</label>
            <datalist id="range-presets">
                {RANGE_PRESETS.iter().map(|r| view! { <option value=*r></option> }).collect_view()}
            </datalist>
            <button data-testid="zoom-out" title="Zoom out: twice the range, same end" on:click=move |_| nav(Step::ZoomOut)>"−"</button>
            <button data-testid="step-earlier" title="Half a range earlier" on:click=move |_| nav(Step::Earlier)>"◀"</button>
            <button data-testid="step-later" title="Half a range later (not past now)" on:click=move |_| nav(Step::Later)>"▶"</button>
            // In the zone the axis and hover use; the URL keeps UTC, as the Thanos UI writes it.
            <label>{move || if options.get().local_time { "End (local) " } else { "End (UTC) " }}
                <input type="text" data-testid="end" size="18" placeholder="now"
                    prop:value=move || {
                        let end = state.with(|s| s.end.clone());
                        if options.get().local_time { end_in_zone(&end, local_offset_at) } else { end }
                    }
                    on:change=move |ev| {
                        let typed = event_target_value(&ev).trim().to_string();
                        let local = options.get_untracked().local_time;
                        state.update(|s| s.end = if local { end_from_zone(&typed, local_offset_at) } else { typed });
                    }/>
            </label>
            <label>"Step (s) " {text_input("step", "auto", |s| s.step.clone(), |s, v| s.step = v)}</label>
        </div>
        <div class="graph-options">
            <select data-testid="opt-heatmap" title="Display"
                on:change=move |ev| state.update(|s| s.graph.heatmap = event_target_value(&ev) == "heatmap")>
                <option value="lines" selected=move || !options.get().heatmap>"Lines"</option>
                <option value="heatmap" selected=move || options.get().heatmap>"Heatmap (histogram buckets)"</option>
            </select>
            {checkbox("opt-stacked", "Stacked", |g| g.stacked, |g, v| g.stacked = v)}
            {checkbox("opt-log", "Log scale", |g| g.log_scale, |g, v| g.log_scale = v)}
            {checkbox("opt-zero", "Y from 0", |g| g.from_zero, |g, v| g.from_zero = v)}
            <select data-testid="opt-utc" title="Time zone"
                on:change=move |ev| state.update(|s| s.graph.local_time = event_target_value(&ev) == "local")>
                <option value="utc" selected=move || !options.get().local_time>"UTC"</option>
                <option value="local" selected=move || options.get().local_time>"Local time"</option>
            </select>
        </div>
        {move || (options.get().heatmap && histograms.with(|h| h.is_empty()) && plot.with(|p| p.is_some())).then(|| view! {
            <div class="empty" data-testid="heatmap-empty">"No classic histogram here: the heatmap needs _bucket series with an le label."</div>
        })}
        {move || histograms.with(|h| (h.len() > 1).then(|| view! {
            <label class="heatmap-pick">{format!("{} histograms: ", h.len())}
                <select data-testid="heatmap-pick"
                    on:change=move |ev| {
                        let i: usize = event_target_value(&ev).parse().unwrap_or(0);
                        chosen_name.set(histograms.with_untracked(|hs| hs.get(i).map(|h| h.name.clone())));
                    }>
                    {h.iter().enumerate().map(|(i, m)| view! {
                        <option value=i.to_string() selected=move || chosen.get() == i>{m.name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
        }))}
        <div class="chart" class:empty=empty>
            <canvas data-testid="canvas" node_ref=canvas height=HEIGHT
                on:mousemove=on_move on:mouseleave=on_leave on:mousedown=on_down on:mouseup=on_up></canvas>
            {move || crosshair.with(|c| c.first().map(|h| h.t)).and_then(|t| {
                let ((x0, x1), (y0, y1)) = area.get_value()?;
                let (px, _) = view_plot.with(|p| p.as_ref().map(|p| {
                    let f = (t - p.x.0) as f64 / ((p.x.1 - p.x.0).max(1)) as f64;
                    (x0 as f64 + f * f64::from(x1 - x0), 0)
                }))?;
                Some(view! { <div class="crosshair" style=format!("left:{px:.0}px;top:{y0}px;height:{}px", y1 - y0)></div> })
            })}
            {move || drag.get().filter(|(a, b)| (a - b).abs() >= 4).map(|(a, b)| {
                let top = area.get_value().map_or((0, 0), |(_, (y0, y1))| (y0, y1 - y0));
                view! { <div class="zoom-selection" data-testid="zoom-selection"
                    style=format!("left:{}px;width:{}px;top:{}px;height:{}px", a.min(b), (a - b).abs(), top.0, top.1)></div> }
            })}
            {move || {
                let (x0, x1) = view_plot.with(|p| p.as_ref().filter(|p| p.series.iter().all(|s| s.points.is_empty())).map(|p| p.x))?;
                (!options.get().heatmap).then(|| view! {
                    <div class="no-data" data-testid="no-data">
                        {format!("No data: the query returned no points from {} to {}.", when(x0), when(x1))}
                    </div>
                })
            }}
            <div class="tooltip" data-testid="tooltip" style=tooltip_style>
            {move || heat_cell.get().map(|c| view! {
                <div class="hover" data-testid="heat-hover">
                    <div>{format!("le ({}, {}]", c.lower, c.upper)}</div>
                    <div>{when(c.t)}</div>
                    <div><strong>{format_value(c.value, Unit::Plain)}</strong></div>
                </div>
            })}
            <div class="hover" data-testid="hover">
                {move || hover.get().map(|h| format!("{} · {} · {}", when(h.t), shown_value(raw(&h)), name(h.series).unwrap_or_default()))}
            </div>
            <ul class="hover-all" data-testid="hover-all">
                {move || (options.get().stacked && crosshair.with(|c| c.len() > 1)).then(|| {
                    let total: f64 = crosshair.with(|c| c.iter().map(raw).sum());
                    view! { <li class="total" data-testid="hover-total"><span class="value">{shown_value(total)}</span>"Total"</li> }
                })}
                {move || crosshair.with(|c| (c.len() > MAX_HOVER).then(|| view! {
                    <li class="more">{format!("{} series; the {MAX_HOVER} nearest the pointer:", c.len())}</li>
                }))}
                {move || nearest(crosshair.get(), hover.get().map(|h| h.value)).into_iter().map(|h| view! {
                    <li data-testid="hover-series" class:nearest=move || hover.with(|n| n.as_ref().map(|n| n.series) == Some(h.series))>
                        <span class="swatch" style=format!("background:{}", color_css(h.series))></span>
                        <span class="value">{shown_value(raw(&h))}</span>
                        {name(h.series).unwrap_or_default()}
                    </li>
                }).collect_view()}
            </ul>
            </div>
        </div>
        {move || (options.get().heatmap).then(|| histograms.with(|hs| hs.get(chosen.get()).map(|h| {
            let colors = chart_colors(dark.map(|d| d.get()).unwrap_or(false));
            let css = |(r, g, b): (u8, u8, u8)| format!("rgb({r},{g},{b})");
            view! {
                <div class="heat-scale" data-testid="heat-scale" title="Colour by the value of each bucket at each step">
                    <span>"0"</span>
                    <span class="heat-bar" style=format!("background:linear-gradient(to right,{},{})", css(colors.heat_low), css(colors.heat_high))></span>
                    <span data-testid="heat-max">{format_value(h.max, Unit::Plain)}</span>
                </div>
            }
        })))}
        {move || plot.with(|p| p.as_ref().map(|p| p.series.len())).filter(|n| *n > 1).map(|n| view! {
            <div class="legend-head">
                <span data-testid="legend-count">
                    {move || format!("{} of {n} series shown", visible.with(|v| v.iter().filter(|s| **s).count()))}
                </span>
                <button class="link" data-testid="legend-show-every" on:click=move |_| visible.set(vec![true; n])>"Show all"</button>
                <button class="link" data-testid="legend-hide-every" on:click=move |_| visible.set(vec![false; n])>"Hide all"</button>
            </div>
        })}
        <ul class="legend" data-testid="legend">
            {move || plot.with(|p| p.as_ref().map(|p| p.series.iter().enumerate().take(if all_legend.get() { usize::MAX } else { MAX_LEGEND }).map(|(i, s)| {
                let shown = move || visible.with(|v| v.get(i).copied().unwrap_or(true));
                view! {
                    // A button to the keyboard too: Tab reaches it, Enter or Space clicks it.
                    <li data-testid="legend-item" class:hidden=move || !shown()
                        tabindex="0" role="button" aria-pressed=move || if shown() { "true" } else { "false" }
                        data-visible=move || if shown() { "true" } else { "false" }
                        title="Click: show only this series (again: all). Ctrl/⌘-click: show or hide it."
                        on:click=move |ev: MouseEvent| pick(i, ev.ctrl_key() || ev.meta_key())
                        on:keydown=move |ev: KeyboardEvent| {
                            if matches!(ev.key().as_str(), "Enter" | " ") {
                                ev.prevent_default();
                                pick(i, ev.ctrl_key() || ev.meta_key());
                            }
                        }>
                        <span class="swatch" style=format!("background:{}", color_css(i))></span>
                        {s.name.clone()}
                    </li>
                }
            }).collect_view()))}
        </ul>
        {move || plot.with(|p| p.as_ref().map_or(0, |p| p.series.len())).gt(&MAX_LEGEND).then(|| view! {
            <button class="show-all" data-testid="legend-show-all" on:click=move |_| all_legend.update(|a| *a = !*a)>
                {move || if all_legend.get() {
                    format!("Show the first {MAX_LEGEND} only")
                } else {
                    format!("Show all {} series", plot.with(|p| p.as_ref().map_or(0, |p| p.series.len())))
                }}
            </button>
        })}
    }
}

/// Legend entries rendered before a "show all" button: more DOM than this slows the page down.
const MAX_LEGEND: usize = 500;
/// Series listed in the hover read-out.
const MAX_HOVER: usize = 20;

/// What the Range field offers.
const RANGE_PRESETS: [&str; 11] = ["5m", "15m", "30m", "1h", "3h", "6h", "12h", "1d", "2d", "1w", "4w"];

/// The `MAX_HOVER` read-outs whose values are nearest `value` (the pointer's), in value order.
fn nearest(mut all: Vec<crate::chart::plot::Hover>, value: Option<f64>) -> Vec<crate::chart::plot::Hover> {
    if all.len() <= MAX_HOVER {
        return all;
    }
    let v = value.unwrap_or(0.0);
    all.sort_by(|a, b| (a.value - v).abs().total_cmp(&(b.value - v).abs()));
    all.truncate(MAX_HOVER);
    all.sort_by(|a, b| b.value.total_cmp(&a.value));
    all
}
