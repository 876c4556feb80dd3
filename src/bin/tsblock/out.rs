//! Buffered stdout and the ways a command fails.

use std::io::{self, Write};

use tsblock::export::json::ExportError;

/// Stdout behind a large buffer; a closed pipe ends the program quietly.
pub(crate) struct Out {
    pub(crate) buf: Vec<u8>,
    stdout: io::Stdout,
}

pub(crate) const FLUSH_AT: usize = 1 << 16;

impl Out {
    pub(crate) fn new() -> Self {
        Out {
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            stdout: io::stdout(),
        }
    }

    pub(crate) fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes `data` after what is buffered, without copying it into the buffer.
    pub(crate) fn write_through(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() < FLUSH_AT {
            self.buf.extend_from_slice(data);
            return self.maybe_flush();
        }
        self.flush()?;
        let mut lock = self.stdout.lock();
        lock.write_all(data)?;
        lock.flush()
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        Self::flush_buf(&mut self.buf)
    }

    /// Writes `buf` to stdout and empties it.
    pub(crate) fn flush_buf(buf: &mut Vec<u8>) -> io::Result<()> {
        let mut lock = io::stdout().lock();
        lock.write_all(buf)?;
        lock.flush()?;
        buf.clear();
        Ok(())
    }
}

/// For the library's streaming writers ([`JsonExporter`]): appends to the buffer, flushing
/// it to stdout when it is full.
impl Write for Out {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.maybe_flush()?;
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Out::flush(self)
    }
}

#[derive(Debug)]
pub(crate) enum Failure {
    Tsdb(tsblock::Error),
    Io(io::Error),
    /// Problems already printed.
    Reported,
    /// Anything else, described.
    Message(String),
}

impl From<tsblock::Error> for Failure {
    fn from(e: tsblock::Error) -> Self {
        Failure::Tsdb(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<ExportError> for Failure {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Read(e) => Failure::Tsdb(e),
            ExportError::Write(e) => Failure::Io(e),
        }
    }
}
