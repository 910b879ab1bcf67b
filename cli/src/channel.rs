//! The program's two output channels: published output (standard output)
//! and operator diagnostics (standard error or a file, every line labelled
//! as not for publication), plus plain messages to standard error.

use std::fs::File;
use std::io::{self, ErrorKind, Write};
use std::path::Path;

use crate::error::CliError;

/// The label that starts every diagnostic line.
pub const NOT_FOR_PUBLICATION: &str = "[operator diagnostic, exact, not for publication]";

/// `text` with control characters (terminal escape sequences included)
/// replaced by U+FFFD, for text from an export shown on a terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(printable("MAIN\u{1b}[31m\r"), "MAIN\u{fffd}[31m\u{fffd}");
        assert_eq!(printable("Café / book"), "Café / book");
    }

    #[test]
    fn a_closed_pipe_is_quiet() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::from(ErrorKind::BrokenPipe))
            }
        }
        let mut p = Published::to(Box::new(Closed));
        assert!(p.text("a report\n").is_ok());
        assert!(p.finish().is_ok());
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("no space left"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut p = Published::to(Box::new(Full));
        assert!(p.text("x").is_err(), "other errors are errors");
    }
}
