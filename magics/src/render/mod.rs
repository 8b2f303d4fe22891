//! Rendering per-engine output exactly as ipyparallel shows it, to an [`OutputSink`].

mod capture;
mod errors;
mod grouped;
mod live;
mod out;
mod prefix;
mod sink;
mod terminal;
mod verbose;

pub use capture::CaptureSink;
pub use errors::{render_error, render_usage_error, CellError};
pub use grouped::{display_outputs, DisplayOptions};
pub use live::LiveDisplay;
pub use out::{out_bundle, out_metadata};
pub use prefix::StreamPrefixState;
pub use sink::OutputSink;
pub use terminal::TerminalSink;
pub use verbose::{async_result_repr, verbose_line, ResultState};
