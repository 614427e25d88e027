//! `stance embed`: the embeddings of some texts, as the `encoder` extractor computes them, written to a `.npy`
//! file — to check them against sentence-transformers, or to reuse them elsewhere.

use std::path::PathBuf;
use std::process::ExitCode;

use stance::features::dense::EncoderHandle;
use stance::outputs::Io;

use super::EncoderArgs;

/// Embed texts with a local sentence-transformers model and write them as a .npy file.
///
/// Computes what `SentenceTransformer(MODEL).encode(texts)` computes (the folder's tokenizer, truncation at its
/// max_seq_length, the BERT forward pass, its pooling, Normalize when modules.json lists it): f32, one row per
/// text, in input order. Cost: one forward pass per text not already in the cache (about a millisecond per short
/// sentence per core for MiniLM); cached texts cost a file read.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sentence-transformers model folder (config.json, model.safetensors, tokenizer.json, modules.json, …).
    #[arg(long, value_name = "FOLDER")]
    pub model: PathBuf,
    /// Texts to embed. Without any (and without --csv), reads one text per line from stdin.
    pub texts: Vec<String>,
    /// Read the texts from this CSV file.
    #[arg(long, value_name = "FILE", conflicts_with = "texts")]
    pub csv: Option<PathBuf>,
    /// Column of --csv holding the texts.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text: String,
    /// The .npy file to write (f32, texts × dimensions), replaced atomically.
    #[arg(long, value_name = "FILE.npy")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub encoders: EncoderArgs,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.out.extension().is_none_or(|e| e != "npy") {
        anyhow::bail!(
            "--out {}: the file must end in .npy (it is written in NumPy's format)",
            args.out.display()
        );
    }
    let mut io = Io::new();
    io.reads("the model folder", &args.model);
    if let Some(csv) = &args.csv {
        io.reads("the CSV of texts", csv);
    }
    io.writes_file("--out", &args.out).check()?;
    let texts = super::read_texts(&args.texts, args.csv.as_deref(), &args.text, "--text")?;
    if texts.is_empty() {
        anyhow::bail!(
            "no texts to embed: pass them as arguments, with --csv, or on stdin (one per line)"
        );
    }
    let handle = EncoderHandle::load(&args.model)?;
    args.encoders.attach(&[&handle], args.quiet)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rows = handle.encode(&refs)?;
    // The encoder computes in f32; the rows were widened exactly, so narrowing them back is exact too.
    let rows32 = rows.mapv(|v| v as f32);
    let bytes = stance::embed::npy::to_bytes_f32(&rows32.view());
    stance::atomic::write_atomic(&args.out, &bytes)?;
    println!(
        "wrote {} ({} texts × {} dimensions, f32) with {} (sha256 {})",
        args.out.display(),
        rows.nrows(),
        rows.ncols(),
        args.model.display(),
        &handle.fingerprint()[..12]
    );
    Ok(ExitCode::SUCCESS)
}
