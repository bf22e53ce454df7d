//! What a person watching `netc train` sees: a progress bar on a
//! terminal (epoch, step, loss, samples/s), a line per epoch, and
//! gradient health warnings the first time each appears.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netc_train::text::epoch_line;
use netc_train::{EpochReport, HealthFinding, Observer, StepProgress, Task};

use crate::epoch_json;
use crate::health_text;
use crate::stdout;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Progress and a line per epoch for people.
    Text,
    /// One JSON object per epoch on stdout.
    Json,
}

/// Observes the loop: draws, prints, and keeps every epoch for the final
/// line and the plots.
pub struct TrainOutput {
    format: Format,
    task: Task,
    /// Only when stderr is a terminal.
    bar: Option<ProgressBar>,
    epoch_started: Instant,
    rows_this_epoch: usize,
    warned: Vec<(&'static str, String)>,
    pub reports: Vec<EpochReport>,
}

impl TrainOutput {
    pub fn new(format: Format, task: Task) -> Self {
        TrainOutput {
            format,
            task,
            bar: None,
            epoch_started: Instant::now(),
            rows_this_epoch: 0,
            warned: Vec::new(),
            reports: Vec::new(),
        }
    }

    /// Removes the bar before the final report.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints on stdout without tearing the bar on stderr.
    fn print(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| stdout::print_line(line)),
            None => stdout::print_line(line),
        }
    }

    fn warn(&mut self, finding: &HealthFinding, epoch: usize) {
        let id = health_text::identity(finding);
        if self.warned.contains(&id) {
            return;
        }
        self.warned.push(id);
        let rule = health_text::rule(finding);
        let line = format!(
            "warning[{}]: epoch {epoch}: {}",
            rule.code,
            health_text::message(finding)
        );
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn bar(&mut self, progress: &StepProgress) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let total = (progress.epochs * progress.steps) as u64;
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix:>12} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        })
    }
}

/// A progress bar makes sense only where a person watches.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

impl Observer for TrainOutput {
    fn on_step(&mut self, progress: &StepProgress) {
        if progress.step == 1 {
            self.epoch_started = Instant::now();
            self.rows_this_epoch = 0;
        }
        self.rows_this_epoch += progress.rows;
        if !stderr_is_terminal() {
            return;
        }
        let rate = self.rows_this_epoch as f64 / self.epoch_started.elapsed().as_secs_f64();
        let rows_rate = if rate.is_finite() { rate } else { 0.0 };
        let bar = self.bar(progress);
        bar.set_prefix(format!("epoch {}/{}", progress.epoch, progress.epochs));
        bar.set_message(format!(
            "step {}/{} loss {:.4} {:.0} samples/s",
            progress.step, progress.steps, progress.loss, rows_rate
        ));
        bar.inc(1);
    }

    fn on_epoch(&mut self, report: &EpochReport) {
        for finding in &report.health {
            self.warn(finding, report.epoch);
        }
        let line = match self.format {
            Format::Json => epoch_json::epoch(report, self.task).to_string(),
            Format::Text => epoch_line(report, self.task),
        };
        self.print(&line);
        self.reports.push(report.clone());
    }
}
