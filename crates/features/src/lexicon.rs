//! The stance-cue lexicon extractor (`type = "lexicon"`).
//!
//! Features: one count per cue (`lex:<pattern>`), and per stance the number of cues matched outside and inside a
//! negation scope (`lex:support-cues`, `lex:support-cues-negated`, …). Counts are scaled by their maximum over the
//! training fold (a fitted max-abs scaler), so they sit in `[0, 1]` like the other features and a test document can
//! exceed 1 only if it has more cues than any training document.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::scaled::{DenseSource, Scaled};
use super::tokenize::TokenKind;
use super::SavedExtractor;
use super::{FeatureError, Prepared};

/// The project's stance-cue lexicon, compiled in.
pub const BUILTIN_LEXICON: &str = include_str!("stance_cues.toml");

/// Lexicon parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconParams {
    /// A lexicon file in the format of `src/features/stance_cues.toml`. Defaults to the built-in lexicon.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Emit one feature per cue as well as the per-stance totals. Defaults to `true`.
    #[serde(default = "yes")]
    pub per_cue: bool,
}

fn yes() -> bool {
    true
}

/// One cue as written in the lexicon file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    /// Word pattern (see the lexicon file's header).
    pub pattern: String,
    /// Tokens allowed between consecutive pattern tokens.
    #[serde(default)]
    pub gap: usize,
    /// The stance the cue signals.
    pub stance: String,
    /// Why the cue signals it.
    pub rationale: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    cue: Vec<Cue>,
}

/// A parsed lexicon: cues with compiled patterns and the stances they mention, in first-seen order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lexicon {
    cues: Vec<(Cue, Vec<Vec<String>>)>,
    stances: Vec<String>,
}

impl Lexicon {
    /// Parses a lexicon from TOML; `origin` names the source in errors.
    pub fn parse(src: &str, origin: &str) -> Result<Lexicon, FeatureError> {
        let file: LexiconFile = toml::from_str(src).map_err(|e| FeatureError::LexiconToml {
            origin: origin.into(),
            line: e
                .span()
                .map(|s| stance_core::diag::line_of_offset(src, s.start)),
            source: stance_core::errors::TomlCause::from(e),
        })?;
        let mut stances: Vec<String> = Vec::new();
        let mut cues = Vec::new();
        for cue in file.cue {
            let compiled: Vec<Vec<String>> = cue
                .pattern
                .split_whitespace()
                .map(|tok| tok.split('|').map(|a| a.to_lowercase()).collect())
                .collect();
            if compiled.is_empty() || compiled.iter().flatten().any(|a| a.is_empty() || a == "*") {
                return Err(FeatureError::Lexicon {
                    origin: origin.into(),
                    line: None,
                    message: format!(
                        "cue pattern '{}' is empty or has an empty alternative",
                        cue.pattern
                    ),
                });
            }
            if !stances.contains(&cue.stance) {
                stances.push(cue.stance.clone());
            }
            cues.push((cue, compiled));
        }
        Ok(Lexicon { cues, stances })
    }

    /// Whether the compiled form is the one [`Lexicon::parse`] makes of the cues (a model file holds both): every
    /// pattern compiled from its text, non-empty, and the stances those of the cues in first-seen order.
    fn check(&self) -> Result<(), String> {
        let mut stances: Vec<&String> = Vec::new();
        for (cue, compiled) in &self.cues {
            let again: Vec<Vec<String>> = cue
                .pattern
                .split_whitespace()
                .map(|tok| tok.split('|').map(|a| a.to_lowercase()).collect())
                .collect();
            if compiled.is_empty()
                || *compiled != again
                || compiled.iter().flatten().any(|a| a.is_empty())
            {
                return Err(format!(
                    "cue '{}' is not compiled from its pattern",
                    stance_core::diag::excerpt(&cue.pattern)
                ));
            }
            if !stances.contains(&&cue.stance) {
                stances.push(&cue.stance);
            }
        }
        if stances.len() != self.stances.len()
            || stances.iter().zip(&self.stances).any(|(a, b)| *a != b)
        {
            return Err("its stances are not those of its cues".into());
        }
        Ok(())
    }

    /// The built-in lexicon.
    pub fn builtin() -> Lexicon {
        Lexicon::parse(BUILTIN_LEXICON, "src/features/stance_cues.toml")
            .expect("the built-in lexicon parses")
    }

    /// The cues.
    pub fn cues(&self) -> impl Iterator<Item = &Cue> {
        self.cues.iter().map(|(c, _)| c)
    }

    /// Matches every cue against a token list; returns, per cue, the (start token, negated) of each match.
    fn matches(&self, words: &[(String, bool)]) -> Vec<Vec<bool>> {
        self.cues
            .iter()
            .map(|(cue, pat)| {
                let mut found = Vec::new();
                for start in 0..words.len() {
                    if token_matches(&pat[0], &words[start].0)
                        && rest_matches(pat, 1, words, start + 1, cue.gap)
                    {
                        found.push(words[start].1);
                    }
                }
                found
            })
            .collect()
    }
}

fn token_matches(alternatives: &[String], word: &str) -> bool {
    alternatives.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == a,
    })
}

fn rest_matches(
    pat: &[Vec<String>],
    k: usize,
    words: &[(String, bool)],
    from: usize,
    gap: usize,
) -> bool {
    if k == pat.len() {
        return true;
    }
    (from..words.len().min(from.saturating_add(gap).saturating_add(1)))
        .any(|i| token_matches(&pat[k], &words[i].0) && rest_matches(pat, k + 1, words, i + 1, gap))
}

impl LexiconParams {
    /// Validates the parameters and loads the lexicon.
    pub fn check(&self) -> Result<LexiconCues, FeatureError> {
        let lex = match &self.path {
            None => Lexicon::builtin(),
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|source| FeatureError::LexiconIo {
                    origin: p.display().to_string(),
                    source,
                })?;
                Lexicon::parse(&src, &p.display().to_string())?
            }
        };
        Ok(LexiconCues::new(lex, self.per_cue))
    }
}

/// A validated lexicon extractor: the parsed lexicon (so a saved model needs no lexicon file), whether each cue has
/// its own column, and the column names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LexiconCues {
    lex: Lexicon,
    per_cue: bool,
    names: Vec<String>,
}

impl LexiconCues {
    fn new(lex: Lexicon, per_cue: bool) -> LexiconCues {
        let mut names: Vec<String> = Vec::new();
        if per_cue {
            names.extend(
                lex.cues()
                    .map(|c| format!("lex:{} ({})", c.pattern, c.stance)),
            );
        }
        for s in &lex.stances {
            names.push(format!("lex:{s}-cues"));
            names.push(format!("lex:{s}-cues-negated"));
        }
        LexiconCues {
            lex,
            per_cue,
            names,
        }
    }
}

impl DenseSource for LexiconCues {
    fn check(&self) -> Result<(), String> {
        self.lex.check()?;
        if LexiconCues::new(self.lex.clone(), self.per_cue).names != self.names {
            return Err("its column names are not those of its cues".into());
        }
        Ok(())
    }
    fn n_features(&self) -> usize {
        self.names.len()
    }
    fn feature_name(&self, j: usize) -> String {
        self.names[j].clone()
    }
    fn raw(&self, doc: &Prepared) -> Vec<f64> {
        raw_features(&self.lex, self.per_cue, doc)
    }
    fn saved(fitted: Scaled<Self>) -> SavedExtractor {
        SavedExtractor::Lexicon(fitted)
    }
}

/// The lexicon extractor fitted on training documents: the validated lexicon and the per-column scale.
pub type FittedLexicon = Scaled<LexiconCues>;

/// Raw (unscaled) lexicon features of one document.
fn raw_features(lex: &Lexicon, per_cue: bool, doc: &Prepared) -> Vec<f64> {
    let words: Vec<(String, bool)> = doc
        .tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word)
        .flat_map(|t| {
            // Hyphenated words were split by the tokenizer already; lower-case for matching.
            std::iter::once((t.text.to_lowercase(), t.negated))
        })
        .collect();
    let matches = lex.matches(&words);
    let mut totals = vec![0.0; lex.stances.len() * 2];
    let mut out = Vec::new();
    for ((cue, _), found) in lex.cues.iter().zip(&matches) {
        let s = lex
            .stances
            .iter()
            .position(|x| *x == cue.stance)
            .expect("stance collected at parse");
        for &negated in found {
            totals[s * 2 + usize::from(negated)] += 1.0;
        }
        if per_cue {
            out.push(found.len() as f64);
        }
    }
    out.extend(totals);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FittedExtractor;

    #[test]
    fn builtin_lexicon_parses_and_every_cue_has_a_rationale() {
        let lex = Lexicon::builtin();
        assert!(lex.cues().count() >= 10);
        assert!(lex.cues().all(|c| !c.rationale.trim().is_empty()));
        assert_eq!(lex.stances, vec!["support", "oppose"]);
    }

    #[test]
    fn patterns_match_with_prefixes_alternatives_and_gaps() {
        let lex = Lexicon::parse(
            "[[cue]]\npattern = \"lift* restriction*\"\ngap = 4\nstance = \"support\"\nrationale = \"r\"\n\
             [[cue]]\npattern = \"world war*\"\nstance = \"oppose\"\nrationale = \"r\"\n",
            "test",
        )
        .unwrap();
        let f = raw_features(
            &lex,
            true,
            &Prepared::new("It is time to lift the rest of the restrictions"),
        );
        assert_eq!(f, vec![1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        let f = raw_features(
            &lex,
            true,
            &Prepared::new("Lifting them would not start a World War."),
        );
        assert_eq!(
            f,
            vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            "the world-war cue sits in a negation scope"
        );
        let f = raw_features(&lex, false, &Prepared::new("lift a b c d e restrictions"));
        assert_eq!(f, vec![0.0, 0.0, 0.0, 0.0], "a gap of 5 exceeds 4");
    }

    #[test]
    fn scaling_is_learned_from_training_documents() {
        let lex = Lexicon::builtin();
        let train = vec![
            Prepared::new("escalation escalation"),
            Prepared::new("self-defense"),
        ];
        let fitted = LexiconCues::new(lex, false).fit(&train);
        let x = fitted
            .transform(&[Prepared::new("escalation escalation escalation escalation")])
            .unwrap()
            .to_dense();
        let oppose = (0..fitted.n_features())
            .find(|&j| fitted.feature_name(j) == "lex:oppose-cues")
            .unwrap();
        assert_eq!(x[[0, oppose]], 2.0, "4 cues / training maximum of 2");
    }

    #[test]
    fn bad_lexicon_names_its_line() {
        let err = Lexicon::parse(
            "[[cue]]\npattern = \"x\"\nstance = \"support\"\n",
            "my.toml",
        )
        .unwrap_err();
        let err = stance_core::errors::chain(&err);
        assert!(err.contains("my.toml"), "{err}");
        assert!(err.contains("rationale"), "{err}");
    }
}
