//! The program's two output channels: published output (standard output)
//! and operator diagnostics (standard error or a file, every line labelled
//! as not for publication), plus plain messages to standard error.

use std::fs::File;
use std::io::{self, ErrorKind, Write};
use std::path::Path;

use crate::error::CliError;

/// The label that starts every diagnostic line.
pub const NOT_FOR_PUBLICATION: &str = "[operator diagnostic, exact, not for publication]";

/// Writes a message to standard error, ignoring failures (a closed or
/// broken standard error must not turn a finished run into a crash).
pub fn say(message: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{message}");
}

/// Standard output for published text. A closed pipe (`| head`) is not an
/// error: the rest of the text is dropped quietly and the command finishes
/// its work (files asked for are still written) with its usual status.
pub struct Published {
    inner: Box<dyn Write>,
    closed: bool,
}

impl Published {
    /// Standard output.
    pub fn stdout() -> Self {
        Published {
            inner: Box::new(io::stdout()),
            closed: false,
        }
    }

    /// A published channel over any writer (for tests).
    pub fn to(writer: Box<dyn Write>) -> Self {
        Published {
            inner: writer,
            closed: false,
        }
    }

    /// Flushes; a broken pipe is still not an error.
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] if standard output fails otherwise (e.g. a full disk).
    pub fn finish(&mut self) -> Result<(), CliError> {
        self.flush().map_err(|e| CliError::Io {
            path: "standard output".into(),
            detail: e.to_string(),
        })
    }

    /// Writes `text`.
    ///
    /// # Errors
    ///
    /// As [`Published::finish`].
    pub fn text(&mut self, text: &str) -> Result<(), CliError> {
        self.write_all(text.as_bytes()).map_err(|e| CliError::Io {
            path: "standard output".into(),
            detail: e.to_string(),
        })
    }
}

impl Write for Published {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The operator's channel for exact figures: rows read, quarantined rows
/// by reason with their first line numbers, rows outside the public groups,
/// unused columns. Each line starts with [`NOT_FOR_PUBLICATION`].
pub struct Diagnostics {
    sink: Option<Box<dyn Write>>,
}

impl Diagnostics {
    /// Standard error, or the file at `path` (created or truncated).
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] if the file cannot be created.
    pub fn open(path: Option<&Path>) -> Result<Self, CliError> {
        Ok(Diagnostics {
            sink: match path {
                None => None,
                Some(p) => Some(Box::new(io::BufWriter::new(
                    File::create(p).map_err(|e| CliError::io(p, &e))?,
                ))),
            },
        })
    }

    /// Diagnostics collected in memory (for tests).
    pub fn to(writer: Box<dyn Write>) -> Self {
        Diagnostics { sink: Some(writer) }
    }

    /// Writes one labelled line (failures are ignored, as for [`say`]).
    pub fn line(&mut self, text: &str) {
        let line = format!("{NOT_FOR_PUBLICATION} {text}");
        match &mut self.sink {
            None => say(&line),
            Some(w) => {
                let _ = writeln!(w, "{line}");
                let _ = w.flush();
            }
        }
    }
}
