//! `netc train FILE [options]`: train a model on CSV data (docs/cli.md). With
//! no options the model's train block decides everything, including the
//! data file (relative to the model file).
//!
//! Per epoch, `train_loss` is the mean of the epoch's step losses (train
//! mode, as PyTorch loops usually log it); `train_acc` and the other
//! training metrics re-evaluate the training rows in eval mode after the
//! epoch, since a step returns only its loss. Validation metrics are eval
//! mode. Text goes to stdout (the progress bar and warnings to stderr);
//! `--format json` puts only JSON lines on stdout.
//!
//! Before training, the model's diagnostics are printed as `netc check`
//! prints them (same lint levels and suppressions); errors stop the run.
//! Once the data is loaded, the lints that need it run on the model with
//! the command line's settings: NN010 (targets out of the final
//! activation's range), NN019 (a last batch of one sample under batchnorm:
//! an error, as PyTorch raises there, and one no level can allow here) and
//! NN032 (a batch larger than the training rows: a warning, and the batch
//! becomes the whole training split, as a PyTorch DataLoader does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use netc_lang::ir::Model;
use netc_lang::lints::{self, DatasetFacts};
use netc_lang::render::{text, FileDiagnostics};
use netc_lang::rules::BATCHNORM_BATCH_ONE;
use netc_lang::{ast, Diagnostic, FileConfig, LintLevels};
use netc_ops::TrainConfig;
use netc_runtime::{Network, WeightError};
use netc_train::data::{prepare, DataError, DataOptions, MissingPolicy, Prepared, Table};
use netc_train::weights::{load_safetensors, save_safetensors};
use netc_train::{fit, text as train_text, Task, TrainSettings};

use super::check::LintArgs;
use crate::checkpoint::{self, Sidecar, SidecarPreprocessing};
use crate::epoch_json;
use crate::failure::{finish, require_file, Failure};
use crate::interpreter;
use crate::model_file::{linear_weights_in_forward_order, sha256_hex, ModelFile};
use crate::plot;
use crate::progress::{Format, TrainOutput};
use crate::source::read_model;
use crate::stdout;
use crate::term;
use crate::threads;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The model file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The model to train (default: the first with a train block).
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// CSV data (`.csv.gz` is read directly); default: the train block's
    /// `data`.
    #[arg(long, value_name = "CSV")]
    data: Option<PathBuf>,
    /// Target column (default: the train block's `target`, else the last
    /// column).
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    epochs: Option<u64>,
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    batch: Option<u64>,
    /// Learning rate (overrides the optimizer's).
    // Negative numbers reach the parser, so `--lr -1` is told why it is
    // refused instead of being taken for a flag.
    #[arg(long, value_name = "X", value_parser = positive_number, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Seed for initialisation, the split and the batch order.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Threads the large layers split over (default: `NETC_NUM_THREADS`,
    /// else the cores available); the results are the same bits for any
    /// count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: Option<u64>,
    /// Fraction of rows held out for validation (0 = none).
    #[arg(long, value_name = "F", default_value_t = DataOptions::DEFAULT_VAL_SPLIT, value_parser = fraction, allow_negative_numbers = true)]
    val_split: f64,
    /// Keep file order: no shuffle before the split or between epochs.
    #[arg(long)]
    no_shuffle: bool,
    /// Standardise features with the training split's mean and deviation
    /// (the default).
    #[arg(long, overrides_with = "no_standardize")]
    standardize: bool,
    #[arg(long, overrides_with = "standardize")]
    no_standardize: bool,
    /// Missing feature cells: impute the training mean, drop the row, or
    /// stop with an error.
    #[arg(long, value_enum, default_value_t = Missing::Mean)]
    missing: Missing,
    /// Start from these parameters instead of the init.
    #[arg(long, value_name = "W.safetensors")]
    init_weights: Option<PathBuf>,
    /// Write the trained weights (and `OUT.json` beside them).
    #[arg(long, value_name = "OUT.safetensors")]
    save: Option<PathBuf>,
    /// Write loss and gradient-norm plots (SVG and PNG) into this folder.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    lints: LintArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Missing {
    Mean,
    Drop,
    Error,
}

impl Missing {
    fn policy(self) -> MissingPolicy {
        match self {
            Missing::Mean => MissingPolicy::Mean,
            Missing::Drop => MissingPolicy::Drop,
            Missing::Error => MissingPolicy::Error,
        }
    }
}

fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not a fraction in [0, 1)")),
    }
}

pub fn run(args: TrainArgs) -> ExitCode {
    finish(train(args))
}

fn train(args: TrainArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let threads = threads::requested(args.threads)?;
    let (file, mut lints, warnings) = load(&args.file, &args.lints.levels)?;
    let model = file.select(args.model.as_deref())?;
    lints.report(lints.of_model(warnings, model));
    let config = configure(model.train.clone().unwrap_or_default(), &args);
    let data_path = match (&args.data, &config.data) {
        (Some(path), _) => path.clone(),
        (None, Some(path)) => {
            let resolved = file.relative(path);
            // Name where the path came from: it is relative to the model
            // file, not to the directory netc runs in.
            require_file(
                &resolved,
                &format!("{}: the train block's data file", file.path.display()),
            )?;
            resolved
        }
        (None, None) => {
            return Err(Failure::usage(format!(
                "model `{}` names no data in its train block; pass --data CSV",
                model.name
            )))
        }
    };
    require_file(&data_path, "data file")?;
    if let Some(weights) = &args.init_weights {
        require_file(weights, "weight file")?;
    }
    if let Some(save) = &args.save {
        checkpoint::check_writable(save).map_err(Failure::input)?;
    }
    // Found out now, not after a training run whose plots are then lost.
    if let Some(dir) = &args.plot {
        plot::prepare_dir(dir).map_err(Failure::input)?;
    }

    let plan = interpreter::plan(model, &config)?;
    let task = Task::for_loss(config.loss, plan.output_width);
    // The CSV gives one target column; caught here, before the data is
    // read and the start line printed, not by the training loop.
    if plan.target_width != 1 {
        return Err(Failure::input(format!(
            "{}: model `{}` returns {} values per row and `{}` compares each with a target, \
             but netc trains on one target column; end `forward` with a layer of width 1",
            file.path.display(),
            model.name,
            plan.output_width,
            config.loss.name(),
        )));
    }
    let table = Table::read(&data_path).map_err(Failure::input)?;
    let prepared = prepare(
        &table,
        &DataOptions {
            target: args.target.clone().or_else(|| config.target.clone()),
            missing: args.missing.policy(),
            standardize: !args.no_standardize,
            val_split: args.val_split,
            shuffle: !args.no_shuffle,
            ..DataOptions::for_config(&config, task.target_kind(), plan.input_width)
        },
    )
    .map_err(|err| data_failure(err, model))?;
    // A batch larger than the training split is one batch of every row.
    let mut net = interpreter::build(plan, prepared.train.rows(), config.seed)?;
    if let Some(threads) = threads {
        net.set_threads(threads);
    }
    if let Some(weights) = &args.init_weights {
        load_safetensors(&mut net, weights).map_err(|e| weight_failure(weights, e))?;
    }
    lints.lint_data(model, &config, args.batch.is_some(), &prepared, task)?;
    // NN032 warned about a batch larger than the training rows; the
    // settings make it one batch of every row.
    let settings = TrainSettings {
        shuffle: !args.no_shuffle,
        ..TrainSettings::for_config(
            &config,
            task,
            prepared.train.rows(),
            linear_weights_in_forward_order(model),
        )
    };
    if args.format == Format::Text {
        let line = train_text::start_line(&model.name, &data_path, &prepared, &settings);
        stdout::print_line(&line);
    }

    let mut output = TrainOutput::new(args.format, task);
    let result = fit(
        &mut net,
        &prepared.train,
        prepared.val.as_ref(),
        &settings,
        &mut output,
    );
    output.finish();
    // Plots of a diverged run show where it went wrong, so they are
    // written before the outcome is looked at.
    if let Some(dir) = &args.plot {
        let written = plot::write_plots(dir, &output.reports).map_err(Failure::input)?;
        if args.format == Format::Text {
            stdout::print_line(&format!("plots: {}", written.join(", ")));
        }
    }
    let summary = result.map_err(Failure::input)?;
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => stdout::print_line(&epoch_json::last(&summary, task, seconds).to_string()),
        Format::Text => {
            if let Some(lines) = train_text::summary_lines(&summary, task, seconds) {
                stdout::print_line(&lines);
            }
        }
    }
    if let Some(save) = &args.save {
        let sidecar = Sidecar {
            format: checkpoint::FORMAT.to_string(),
            model: model.name.clone(),
            model_file: file.path.display().to_string(),
            model_sha256: file.sha256.clone(),
            loss: config.loss.name().to_string(),
            classes: classes(task),
            preprocessing: SidecarPreprocessing::from_runtime(&prepared.preprocessing),
            metrics: epoch_json::last(&summary, task, seconds),
        };
        save_checkpoint(&net, save, &sidecar, &prepared)?;
        if args.format == Format::Text {
            stdout::print_line(&format!(
                "saved {} and {}",
                save.display(),
                checkpoint::sidecar_path(save).display()
            ));
        }
    }
    Ok(())
}

/// Reads and checks the model file at the command line's lint levels.
/// Errors are printed and stop the run; the warnings are returned, to be
/// printed once the model to train is known.
fn load(
    path: &Path,
    levels: &LintLevels,
) -> Result<(ModelFile, FileLints, Vec<Diagnostic>), Failure> {
    let bytes = read_model(path).map_err(Failure::usage)?;
    let path_text = path.display().to_string();
    let Ok(source) = std::str::from_utf8(&bytes) else {
        let (_, diagnostics) = netc_lang::check_bytes_with(&bytes, levels);
        report(&path_text, &String::from_utf8_lossy(&bytes), &diagnostics);
        return Err(Failure::Reported);
    };
    let checked = netc_lang::check_configured(source, levels);
    let models = checked.valid_models().to_vec();
    let mut lints = FileLints {
        path: path_text,
        source: source.to_string(),
        syntax: checked.syntax,
        config: checked.config,
    };
    if netc_lang::has_errors(&checked.diagnostics) {
        let mut diagnostics = checked.diagnostics;
        diagnostics.extend(lints.config.finish());
        lints.report(diagnostics);
        return Err(Failure::Reported);
    }
    // The warnings are returned to `train`, which prints them with the
    // data lints' levels in force, not left to `select`.
    let file = ModelFile {
        path: path.to_path_buf(),
        models,
        sha256: sha256_hex(&bytes),
        warnings: Vec::new(),
        source: String::new(),
    };
    Ok((file, lints, checked.diagnostics))
}

/// What linting the data needs from the model file, once it is loaded.
struct FileLints {
    path: String,
    source: String,
    syntax: ast::File,
    /// Open until the data lints went through it, so a suppression of a
    /// data lint counts as used.
    config: FileConfig,
}

impl FileLints {
    /// NN010, NN019 and NN032 on the training split, and the lints of the
    /// train block with the command line's overrides; prints them with the
    /// unused suppressions. Errors stop the run.
    fn lint_data(
        &mut self,
        model: &Model,
        config: &TrainConfig,
        batch_flag: bool,
        prepared: &Prepared,
        task: Task,
    ) -> Result<(), Failure> {
        let Some(syntax) = self
            .syntax
            .models
            .iter()
            .find(|m| m.name.span == model.name_span)
        else {
            return Ok(());
        };
        let mut effective = model.clone();
        effective.train = Some(config.clone());
        let facts = DatasetFacts {
            size: prepared.train.rows(),
            target_range: target_range(prepared, task),
        };
        let mut found = overridden_lints(model, &effective, syntax);
        let written_batch = model.train.as_ref().map(|train| train.batch);
        for diagnostic in lints::run_with_dataset(&effective, syntax, facts) {
            // The span is the train block's `batch` (the model's name
            // without one); say where a size not written there came from.
            found.push(match (written_batch == Some(config.batch), batch_flag) {
                (true, _) => diagnostic,
                (false, true) => diagnostic.with_note(format!(
                    "the batch size {} comes from --batch",
                    config.batch
                )),
                (false, false) => diagnostic.with_note(format!(
                    "the batch size {} is netc's default; the model sets no `batch`",
                    config.batch
                )),
            });
        }
        let batch_of_one = lints::run(&effective, syntax)
            .iter()
            .chain(&found)
            .any(|d| d.code == BATCHNORM_BATCH_ONE.code);
        let mut shown = self.config.configure(found);
        shown.extend(self.config.finish());
        shown.sort_by_key(|d| d.span.start);
        self.report(shown.clone());
        if netc_lang::has_errors(&shown) {
            return Err(Failure::Reported);
        }
        if batch_of_one {
            return Err(Failure::input(format!(
                "batchnorm cannot train on a batch of one sample (PyTorch raises \"Expected more than 1 value per channel when training\"), so {} `{}` cannot be allowed in `netc train`; change --batch",
                BATCHNORM_BATCH_ONE.code, BATCHNORM_BATCH_ONE.name
            )));
        }
        Ok(())
    }

    fn report(&self, diagnostics: Vec<Diagnostic>) {
        report(&self.path, &self.source, &diagnostics);
    }

    /// The diagnostics about `model` or about no model in particular:
    /// training one model of a file does not list the others' warnings.
    fn of_model(&self, diagnostics: Vec<Diagnostic>, model: &Model) -> Vec<Diagnostic> {
        let others: Vec<_> = self
            .syntax
            .models
            .iter()
            .filter(|m| m.name.span != model.name_span)
            .map(|m| m.span)
            .collect();
        diagnostics
            .into_iter()
            .filter(|d| {
                !others
                    .iter()
                    .any(|span| (span.start..span.end).contains(&d.span.start))
            })
            .collect()
    }
}

/// Diagnostics in `netc check`'s text form on stderr, also under
/// `--format json`, whose stdout holds only JSON lines.
/// A data error; a feature count that misses an image input says how
/// the count follows from the input's shape.
fn data_failure(err: DataError, model: &Model) -> Failure {
    match (&err, model.input.shape.image()) {
        (DataError::FeatureCount { .. }, Some(image)) => Failure::input(format!(
            "{err} = {}·{}·{} (channels·height·width of input `{}: {}`)",
            image.channels, image.height, image.width, model.input.name, model.input.shape
        )),
        _ => Failure::input(err),
    }
}

fn report(path: &str, source: &str, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let file = FileDiagnostics {
        path,
        source,
        diagnostics,
    };
    eprint!("{}", text::render(&[file], term::stderr_color()));
}

/// Lints that the command line's `--batch`, `--epochs` or `--lr` raise and
/// the train block as written does not (those were reported already).
fn overridden_lints(model: &Model, effective: &Model, syntax: &ast::Model) -> Vec<Diagnostic> {
    if model.train == effective.train {
        return Vec::new();
    }
    let written = lints::run(model, syntax);
    lints::run(effective, syntax)
        .into_iter()
        .filter(|d| !written.contains(d))
        .map(|d| d.with_note("with this run's training settings: the train block and the command line's overrides"))
        .collect()
}

/// The regression target's range, for NN010; class labels have none.
fn target_range(prepared: &Prepared, task: Task) -> Option<(f64, f64)> {
    if task != Task::Regression {
        return None;
    }
    let targets = prepared.train.y.iter().map(|&y| f64::from(y));
    let min = targets.clone().fold(f64::INFINITY, f64::min);
    let max = targets.fold(f64::NEG_INFINITY, f64::max);
    (min <= max).then_some((min, max))
}

/// The train block with the command line's overrides.
fn configure(mut config: TrainConfig, args: &TrainArgs) -> TrainConfig {
    if let Some(epochs) = args.epochs {
        config.epochs = usize::try_from(epochs).unwrap_or(usize::MAX);
    }
    if let Some(batch) = args.batch {
        config.batch = usize::try_from(batch).unwrap_or(usize::MAX);
    }
    if let Some(lr) = args.lr {
        config.optimizer = config.optimizer.with_lr(lr);
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config
}

/// A weight error that does not name the file yet gets its path.
pub fn weight_failure(path: &Path, error: WeightError) -> Failure {
    match error {
        WeightError::Io { .. } | WeightError::Format { .. } => Failure::input(error),
        _ => Failure::input(format!("{}: {error}", path.display())),
    }
}

fn classes(task: Task) -> Option<usize> {
    match task {
        Task::Binary { .. } => Some(2),
        Task::Multiclass { classes } => Some(classes),
        Task::Regression => None,
    }
}

fn save_checkpoint(
    net: &dyn Network,
    path: &Path,
    sidecar: &Sidecar,
    prepared: &Prepared,
) -> Result<(), Failure> {
    let metadata = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("netc_model".to_string(), sidecar.model.clone()),
        (
            "netc_target".to_string(),
            prepared.preprocessing.target.clone(),
        ),
    ]);
    save_safetensors(net, path, &metadata).map_err(Failure::input)?;
    sidecar
        .write(&checkpoint::sidecar_path(path))
        .map_err(Failure::input)
}
