//! Files written atomically: a temporary file next to the target, written,
//! `fsync`ed, renamed over the target, and the directory `fsync`ed — so a
//! reader sees the old file or the whole new one, never a part.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// A file being written: created (as a temporary file in the target's
/// directory) before the work that produces it, so that a bad path fails
/// before anything is spent; put in place by [`commit`](Self::commit), or
/// removed when dropped uncommitted.
pub struct PendingFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl PendingFile {
    /// Creates the temporary file for `target` (whose directory must exist).
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] naming `target` if its directory is missing or not
    /// writable, or `target` is a directory.
    pub fn create(target: &Path) -> Result<PendingFile, CliError> {
        if target.is_dir() {
            return Err(CliError::Io {
                path: target.display().to_string(),
                detail: "is a directory, not a file".into(),
            });
        }
        let name = target.file_name().ok_or_else(|| CliError::Io {
            path: target.display().to_string(),
            detail: "has no file name".into(),
        })?;
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut temp = None;
        for attempt in 0..100u32 {
            let candidate = dir.join(format!(
                ".{}.{}-{attempt}.tmp",
                name.to_string_lossy(),
                std::process::id()
            ));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&candidate)
            {
                Ok(f) => {
                    temp = Some((candidate, f));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(CliError::io(target, &e)),
            }
        }
        let (temp, file) = temp.ok_or_else(|| CliError::Io {
            path: target.display().to_string(),
            detail: "could not create a temporary file next to it".into(),
        })?;
        Ok(PendingFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// The writer of the temporary file.
    ///
    /// # Panics
    ///
    /// Never: the writer is present until `commit` consumes the file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer
            .as_mut()
            .unwrap_or_else(|| unreachable!("a pending file has its writer until commit"))
    }

    /// The file's final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, `fsync`s, renames the temporary file over the target and
    /// `fsync`s the directory.
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] naming the target; the temporary file is removed.
    pub fn commit(mut self) -> Result<(), CliError> {
        let fail = |e: std::io::Error| CliError::io(&self.target, &e);
        let writer = self
            .writer
            .take()
            .unwrap_or_else(|| unreachable!("a pending file has its writer until commit"));
        let file = writer.into_inner().map_err(|e| fail(e.into_error()))?;
        file.sync_all().map_err(fail)?;
        drop(file);
        fs::rename(&self.temp, &self.target).map_err(fail)?;
        // Renamed: nothing to remove on drop any more.
        self.temp = PathBuf::new();
        if let Some(dir) = self.target.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Writes `bytes` and commits.
    ///
    /// # Errors
    ///
    /// As [`commit`](Self::commit).
    pub fn write_all_and_commit(mut self, bytes: &[u8]) -> Result<(), CliError> {
        let target = self.target.clone();
        self.writer()
            .write_all(bytes)
            .map_err(|e| CliError::io(&target, &e))?;
        self.commit()
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            self.writer = None;
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Creates `dir` and its parents, readable by the user only (0700) on Unix.
///
/// # Errors
///
/// [`CliError::Io`] naming `dir`.
pub fn create_private_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| CliError::io(dir, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ilsp-fsutil-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn commit_replaces_the_file_and_drop_leaves_no_trace() {
        let d = scratch("commit");
        let target = d.join("report.json");
        fs::write(&target, b"old").unwrap();
        let p = PendingFile::create(&target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old");
        p.write_all_and_commit(b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let mut p = PendingFile::create(&target).unwrap();
        p.writer().write_all(b"half").unwrap();
        drop(p);
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.json"]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn bad_targets_fail_at_creation() {
        let d = scratch("bad");
        assert!(PendingFile::create(&d.join("missing/x.html")).is_err());
        assert!(PendingFile::create(&d).is_err());
        fs::remove_dir_all(d).unwrap();
    }
}
