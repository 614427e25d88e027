//! Running a system's command: one process per call, no shell, stdin and stdout only.
//!
//! The process gets every text as a JSON line `{"id": …, "text": …}` on stdin (then end of input) and must write one
//! line `{"id": …, "label": …[, "probabilities": {class: p, …}]}` per text on stdout, in any order; it runs in the
//! experiment file's folder. Its stderr is captured (the last lines are quoted when it fails) or, with
//! `--verbose`, passed through.
//!
//! Why threads: a process that writes while it reads would deadlock against a caller that first writes everything
//! and then reads, once the pipes' buffers fill; so stdin is fed, and stdout and stderr drained, each on its own
//! thread while this one waits with the timeout. On Unix the process leads its own process group, and the timeout
//! kills the whole group, so a `sleep` started by a shell script dies with the script instead of holding the
//! output pipe open.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

use stance_core::diag::excerpt;
use stance_models::Prediction;

use super::{Labels, SystemError};

/// Lines of a failing command's stderr quoted in the error.
pub const OUTPUT_EXCERPT_LINES: usize = 5;

/// Bytes of stderr kept while the command runs (its tail), for the error message.
const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// One way of calling a command.
pub(super) struct Call<'a> {
    /// The command line.
    pub(super) argv: &'a [String],
    /// The folder it runs in (the experiment file's).
    pub(super) dir: &'a Path,
    /// How long one call may take.
    pub(super) timeout: Duration,
    /// Pass its stderr through instead of capturing it.
    pub(super) verbose: bool,
}

/// A line sent on stdin.
#[derive(Serialize)]
struct Request<'a> {
    id: &'a str,
    text: &'a str,
}

/// A line read from stdout. Other keys (an explanation, a score) are ignored.
#[derive(Deserialize)]
struct Response {
    id: String,
    label: String,
    #[serde(default)]
    probabilities: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Call<'_> {
    /// Runs the command on `texts` (id, text) and returns its prediction of each, by id; `what` names the call in
    /// messages (`the 11 items`).
    pub(super) fn label(
        &self,
        what: &str,
        texts: &[(&str, &str)],
        labels: &Labels<'_>,
    ) -> Result<HashMap<String, Prediction>, SystemError> {
        let mut input = Vec::new();
        for (id, text) in texts {
            serde_json::to_writer(&mut input, &Request { id, text }).expect("strings serialise");
            input.push(b'\n');
        }
        let stdout = self.run(what, input)?;
        parse(what, &stdout, texts, labels)
    }

    /// Starts the process, feeds it `input`, and returns its stdout once it exits with success within the timeout.
    fn run(&self, what: &str, input: Vec<u8>) -> Result<Vec<u8>, SystemError> {
        let started = Instant::now();
        let program = &self.argv[0];
        // A relative program path means the experiment's folder (Command's own rule for it is platform-specific).
        let resolved = if program.contains('/') {
            self.dir.join(program)
        } else {
            program.into()
        };
        let mut cmd = Command::new(resolved);
        cmd.args(&self.argv[1..])
            .current_dir(self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if self.verbose {
                Stdio::inherit()
            } else {
                Stdio::piped()
            });
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|source| SystemError::Spawn {
            program: program.clone(),
            dir: self.dir.to_path_buf(),
            source,
        })?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // A process that exits without reading its input makes this write fail; its exit status says why.
        let feeder = thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let stdout = drain(child.stdout.take().expect("stdout is piped"), usize::MAX);
        let stderr = child.stderr.take().map(|e| drain(e, STDERR_TAIL_BYTES));
        let left = |now: Instant| self.timeout.saturating_sub(now - started);
        let status = child
            .wait_timeout(left(Instant::now()))
            .map_err(|source| self.pipe(what, source))?;
        let Some(status) = status else {
            kill(&mut child);
            let _ = feeder.join();
            return Err(SystemError::TimedOut {
                call: what.to_string(),
                seconds: self.timeout.as_secs(),
                stderr: tail(stderr),
            });
        };
        let _ = feeder.join();
        // The process has exited; what it left running (a background child) may still hold stdout open.
        let out = match stdout.recv_timeout(left(Instant::now()).max(Duration::from_secs(1))) {
            Ok(out) => out.map_err(|source| self.pipe(what, source))?,
            Err(_) => {
                kill(&mut child);
                return Err(SystemError::TimedOut {
                    call: what.to_string(),
                    seconds: self.timeout.as_secs(),
                    stderr: tail(stderr),
                });
            }
        };
        if !status.success() {
            return Err(SystemError::Failed {
                call: what.to_string(),
                status: describe(status),
                stderr: tail(stderr),
            });
        }
        Ok(out)
    }

    fn pipe(&self, what: &str, source: std::io::Error) -> SystemError {
        SystemError::Pipe {
            call: what.to_string(),
            source,
        }
    }
}

/// Reads a pipe to its end on a thread, keeping at most the last `keep` bytes.
fn drain(
    mut pipe: impl Read + Send + 'static,
    keep: usize,
) -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        let result = loop {
            match pipe.read(&mut buf) {
                Ok(0) => break Ok(out),
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if out.len() > keep {
                        out.drain(..out.len() - keep);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        let _ = tx.send(result);
    });
    rx
}

/// Kills the process and, on Unix, every process of its group; then reaps it.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was started with
        // process_group(0)); it touches no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `status 3` or `signal 9`.
fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("status {c}"),
        None => "an unknown status".into(),
    }
}

/// The last few lines of captured stderr, introduced for a message (empty when nothing was captured).
fn tail(stderr: Option<mpsc::Receiver<std::io::Result<Vec<u8>>>>) -> String {
    let Some(rx) = stderr else {
        return String::new();
    };
    let bytes = match rx.recv_timeout(Duration::from_millis(500)) {
        Ok(Ok(b)) => b,
        _ => return String::new(),
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let last = &lines[lines.len().saturating_sub(OUTPUT_EXCERPT_LINES)..];
    format!(
        "; its stderr ended: {}",
        last.iter()
            .map(|l| excerpt(l))
            .collect::<Vec<_>>()
            .join(" | ")
    )
}

/// The command's stdout as predictions by id: one JSON object per non-empty line, each id sent once answered
/// exactly once.
fn parse(
    what: &str,
    stdout: &[u8],
    texts: &[(&str, &str)],
    labels: &Labels<'_>,
) -> Result<HashMap<String, Prediction>, SystemError> {
    let sent: HashMap<&str, ()> = texts.iter().map(|(id, _)| (*id, ())).collect();
    let mut out: HashMap<String, Prediction> = HashMap::with_capacity(texts.len());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let text = String::from_utf8_lossy(stdout);
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {} of its output on {what}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        let r: Response = serde_json::from_str(line).map_err(|source| SystemError::Json {
            at: at.clone(),
            excerpt: excerpt(line),
            not_json: !source.is_data(),
            source,
        })?;
        if !sent.contains_key(r.id.as_str()) {
            return Err(SystemError::Line {
                at,
                message: format!(
                    "id '{}' was not sent; answer with the ids of the input lines",
                    excerpt(&r.id)
                ),
            });
        }
        if let Some(first) = first_line.insert(r.id.clone(), n + 1) {
            return Err(SystemError::Line {
                at,
                message: format!(
                    "id '{}' was answered already (line {first}); answer every input line exactly once",
                    excerpt(&r.id)
                ),
            });
        }
        let proba = match &r.probabilities {
            None => None,
            Some(map) => {
                let mut v = Vec::with_capacity(map.len());
                for (class, p) in map {
                    let p = p.as_f64().ok_or_else(|| SystemError::Line {
                        at: at.clone(),
                        message: format!(
                            "the probability of '{}' is {}, not a number; give numbers in [0, 1]",
                            excerpt(class),
                            excerpt(&p.to_string())
                        ),
                    })?;
                    v.push((class.clone(), p));
                }
                Some(v)
            }
        };
        let p = labels.prediction(&at, r.label.trim(), proba.as_deref())?;
        out.insert(r.id, p);
    }
    let missing: Vec<&str> = texts
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !out.contains_key(*id))
        .collect();
    if let Some(first) = missing.first() {
        return Err(SystemError::Missing {
            what: format!("its output on {what}"),
            item: first.to_string(),
            missing: missing.len(),
            total: texts.len(),
            hint: "; write one output line per input line, with its id".into(),
        });
    }
    Ok(out)
}
