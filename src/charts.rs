//! Charts for staff, rendered in memory to PNG with plotters and an embedded font (DejaVu
//! Sans from the `dejavu` crate), so no system fonts are needed. Pure: plain numbers in,
//! PNG bytes out. The font has no Chinese glyphs, so chart labels are English.

use std::sync::OnceLock;

use chrono::NaiveDate;
use image::ImageEncoder;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use thiserror::Error;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 640;
const FONT: &str = "sans-serif";

#[derive(Debug, Error)]
pub enum ChartError {
    #[error("the embedded font could not be loaded: {0}")]
    Font(String),
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("there is nothing to draw: {0}")]
    Empty(&'static str),
}

/// Registers the embedded font with plotters once per process (plotters keeps fonts in its
/// own registry).
fn font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "DejaVu Sans is not a valid font".to_owned())?;
            register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "DejaVu Sans Bold is not a valid font".to_owned())
        })
        .clone()
        .map_err(ChartError::Font)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// Renders with `draw` onto an RGB buffer and encodes it as PNG.
fn render(
    draw: impl FnOnce(DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    font()?;
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(root.clone())?;
        root.present().map_err(draw_err)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&buffer, WIDTH, HEIGHT, image::ColorType::Rgb8)
        .map_err(draw_err)?;
    Ok(png)
}

fn palette(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLORS[i % COLORS.len()]
}

/// One customer in a scatter chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Index into the group names.
    pub group: usize,
}

/// Scatter chart of customers coloured by group (segments), with a legend.
pub fn scatter(
    title: &str,
    x_label: &str,
    y_label: &str,
    groups: &[String],
    points: &[Point],
) -> Result<Vec<u8>, ChartError> {
    if points.is_empty() {
        return Err(ChartError::Empty("no customers to plot"));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    let pad = |a: f64, b: f64| ((b - a) * 0.05).max(1e-6);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    render(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(draw_err)?;
        for (g, name) in groups.iter().enumerate() {
            let color = palette(g);
            let count = points.iter().filter(|p| p.group == g).count();
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.group == g)
                        .map(|p| Circle::new((p.x, p.y), 3, color.mix(0.6).filled())),
                )
                .map_err(draw_err)?
                .label(format!("{name} ({count})"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 6, color.filled()));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_err)
    })
}

/// Histogram of values in [0, 1] (churn probabilities) in `bins` bins.
pub fn histogram(
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
) -> Result<Vec<u8>, ChartError> {
    if values.is_empty() {
        return Err(ChartError::Empty("no scores to plot"));
    }
    let bins = bins.max(1);
    let mut counts = vec![0u32; bins];
    for v in values {
        let i = ((v.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.1;
    render(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, 0.0..top)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("customers")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(draw_err)?;
        let width = 1.0 / bins as f64;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let x = i as f64 * width;
                let color = if x >= 0.5 { palette(3) } else { palette(0) };
                Rectangle::new(
                    [(x + width * 0.05, 0.0), (x + width * 0.95, *c as f64)],
                    color.filled(),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}

/// Bar chart of labelled counts (the lifecycle funnel), in the order given.
pub fn bars(title: &str, y_label: &str, bars: &[(String, f64)]) -> Result<Vec<u8>, ChartError> {
    if bars.is_empty() {
        return Err(ChartError::Empty("no counts to plot"));
    }
    let top = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0) * 1.15;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    render(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d((0..bars.len() - 1).into_segmented(), 0.0..top)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    palette(i).filled(),
                );
                bar.set_margin(0, 0, 12, 12);
                bar
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Text::new(
                    format!("{v:.0}"),
                    (SegmentValue::CenterOf(i), *v + top * 0.02),
                    (FONT, 16),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}

/// A line over days (mean sentiment per day), with a zero line.
pub fn line(
    title: &str,
    y_label: &str,
    points: &[(NaiveDate, f64)],
    y_range: (f64, f64),
) -> Result<Vec<u8>, ChartError> {
    if points.len() < 2 {
        return Err(ChartError::Empty("fewer than two days of data"));
    }
    let first = points.iter().map(|p| p.0).min().expect("non-empty");
    let last = points.iter().map(|p| p.0).max().expect("non-empty");
    let day = |d: NaiveDate| (d - first).num_days() as f64;
    let span = day(last).max(1.0);
    render(|root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..span, y_range.0..y_range.1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("day")
            .y_desc(y_label)
            .x_label_formatter(&|x| {
                (first + chrono::Duration::days(x.round() as i64))
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .x_labels(6)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (span, 0.0)], BLACK.mix(0.4)))
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(d, v)| (day(*d), *v)),
                palette(0).stroke_width(2),
            ))
            .map_err(draw_err)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_png(bytes: &[u8]) -> bool {
        bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A])
    }

    #[test]
    fn every_chart_is_a_png_of_the_stated_size() {
        let groups = vec!["champions".to_owned(), "at risk".to_owned()];
        let points: Vec<Point> = (0..50)
            .map(|i| Point {
                x: i as f64,
                y: (i % 7) as f64,
                group: i % 2,
            })
            .collect();
        let charts = [
            scatter("Segments", "recency (days)", "orders", &groups, &points).unwrap(),
            histogram("Churn risk", "probability", &[0.1, 0.2, 0.8, 0.95], 10).unwrap(),
            bars(
                "Lifecycle",
                "customers",
                &[("new".into(), 3.0), ("active".into(), 9.0)],
            )
            .unwrap(),
            line(
                "Sentiment",
                "mean",
                &[
                    (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 0.2),
                    (NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(), -0.1),
                ],
                (-1.0, 1.0),
            )
            .unwrap(),
        ];
        for png in charts {
            assert!(is_png(&png));
            let decoded = image::load_from_memory(&png).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
        }
    }

    #[test]
    fn empty_data_is_a_clear_error() {
        assert!(matches!(
            histogram("x", "y", &[], 10),
            Err(ChartError::Empty(_))
        ));
    }
}
