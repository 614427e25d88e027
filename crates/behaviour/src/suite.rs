//! Suite files: the TOML schema, loading, and validation with file:line errors.
//!
//! One file is one suite; its file name names it in every case and report row. Schema:
//!
//! ```toml
//! description = "what the suite probes"            # optional
//! classes = { support = "1", oppose = "-1" }       # optional: guideline class -> target corpus class
//! [gold]                                           # optional; needed by tests with source = "gold"
//! labels = "../gold.csv"                           # relative to this file
//! seeds = "../../seeds"
//!
//! [[test]]
//! name = "negation_of_support"                     # unique in the file; case ids are <name>.<NNN>
//! type = "dir"                                     # mft | inv | dir
//! description = "…"
//! # exactly one input:
//! templates = ["{speaker} said Ukraine must be allowed to strike targets in Russia."]
//! # texts = ["…"]                                  # literal items
//! # pairs = [["original {weapon}", "perturbed {weapon}"]]   # INV/DIR only
//! # source = "gold"                                # support/oppose gold sentences; gold_ids = [...] to pick
//! fill = { speaker = ["Jens Stoltenberg", "…"] }   # slot values, expanded in declared order
//! max_cases = 40                                   # optional cap, evenly spaced over the expansion
//! # INV/DIR: how perturbed texts are made (pairs need neither):
//! perturb = "negate"                               # a function of `perturb`
//! # vary = "place"                                 # every other value of this slot
//! expect = "opposite"                              # mft: a class; inv: "same" (default);
//!                                                  # dir: "opposite" | "lower-confidence" | a class
//! original = "support"                             # inv/dir: the originals' known label, or
//! # originals = ["support", "oppose", …]           # one per template / text / pair, in order
//! ```
//!
//! A stated label makes two readings of an INV or DIR case: as tested (the prediction is invariant, or moves as
//! expected) and **strict** ("invariant and correct", CheckList's stricter reading: the original must also be
//! predicted as its label). The strict reading is what separates models: a constant predictor is invariant to
//! everything.
//!
//! Parsing uses `toml::Spanned` for every value a later check can reject, so a semantic error points at the
//! line of the offending value, like a syntax error does.

use std::collections::BTreeMap;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::perturb::Perturbation;
use super::{BehaviourError, TestType};
use stance_corpus::gold::{load_gold, UnitLevel};
use stance_corpus::GOLD_STANCES;

/// A text or template with the 1-based line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The text, slots unexpanded.
    pub text: String,
    /// 1-based line in the suite file.
    pub line: usize,
}

/// One slot and its fill values, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The slot name, used in templates as `{name}`.
    pub name: String,
    /// Its values, in declared order.
    pub values: Vec<String>,
    /// 1-based line of the value list.
    pub line: usize,
}

/// Where a test's items come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Templates expanded over the test's slots.
    Templates(Vec<Located>),
    /// Literal items.
    Texts(Vec<Located>),
    /// Original and perturbed templates, expanded with the same slot values.
    Pairs(Vec<(Located, Located)>),
    /// The suite's gold sentences labelled support or oppose (all, or the listed ids, in gold order).
    Gold {
        /// Selected gold ids, or every support/oppose sentence.
        ids: Option<Vec<String>>,
        /// 1-based line of the `source` key.
        line: usize,
    },
}

/// How an INV/DIR test makes perturbed texts from an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    /// None (MFT, or pairs that carry their perturbed text).
    None,
    /// Apply a perturbation function.
    Perturb(Perturbation),
    /// Substitute every other value of this slot.
    Vary(String),
}

/// A test's expectation, in guideline class names (mapped at expansion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The item (MFT) or the perturbed text (DIR) must get this class.
    Class(String),
    /// INV: unchanged prediction.
    Same,
    /// DIR: the opposite class (of `original`, of the gold label, or else of the original's prediction).
    Opposite {
        /// The originals' known label, if declared.
        original: Option<String>,
    },
    /// DIR: lower probability for the original's predicted class.
    LowerConfidence,
}

/// One validated test of a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSpec {
    /// Unique name within the suite.
    pub name: String,
    /// MFT, INV or DIR.
    pub kind: TestType,
    /// 1-based line of the test's `name`.
    pub line: usize,
    /// What the test checks, for the report.
    pub description: String,
    /// Its items.
    pub input: Input,
    /// Slots for templates and pairs, in declared order.
    pub slots: Vec<Slot>,
    /// How perturbed texts are made.
    pub transform: Transform,
    /// What the predictions must satisfy.
    pub expect: Expect,
    /// The cap on expanded cases.
    pub max_cases: Option<usize>,
    /// INV/DIR: the originals' known label (guideline class), one for the whole test (`original`) …
    pub original: Option<String>,
    /// … or one per template, text or pair, in order (`originals`).
    pub originals: Option<Vec<String>>,
}

impl TestSpec {
    /// The known label of the originals made from input `index` (a template, text or pair), if stated.
    pub fn label_of(&self, index: usize) -> Option<String> {
        match &self.originals {
            Some(v) => v.get(index).cloned(),
            None => self.original.clone(),
        }
    }
}

/// A gold sentence a suite can draw from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldSentence {
    /// Gold id (`doc000.s01`).
    pub id: String,
    /// Seed document.
    pub doc: String,
    /// Guideline stance.
    pub stance: String,
    /// The sentence.
    pub text: String,
}

/// One loaded and validated suite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// The file name (`negation.toml`), used as the suite's name everywhere.
    pub name: String,
    /// The file's path.
    pub path: PathBuf,
    /// What the suite probes.
    pub description: String,
    /// Guideline class → target corpus class; identity for classes not listed when the map is empty.
    pub classes: BTreeMap<String, String>,
    /// Sentence-level gold units, in gold order (empty without a `[gold]` table).
    pub gold: Vec<GoldSentence>,
    /// The tests, in file order.
    pub tests: Vec<TestSpec>,
}

impl Suite {
    /// The target corpus's name for a guideline class; `None` when a mapping is declared and lacks it.
    pub fn class(&self, guideline: &str) -> Option<String> {
        if self.classes.is_empty() {
            Some(guideline.to_string())
        } else {
            self.classes.get(guideline).cloned()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    classes: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    gold: Option<Spanned<RawGold>>,
    #[serde(default, rename = "test")]
    tests: Vec<RawTest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGold {
    labels: String,
    seeds: String,
}

type SpannedList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    templates: Option<SpannedList>,
    #[serde(default)]
    texts: Option<SpannedList>,
    #[serde(default)]
    pairs: Option<Spanned<Vec<SpannedList>>>,
    #[serde(default)]
    source: Option<Spanned<String>>,
    #[serde(default)]
    gold_ids: Option<SpannedList>,
    #[serde(default)]
    fill: Option<BTreeMap<String, SpannedList>>,
    #[serde(default)]
    max_cases: Option<Spanned<usize>>,
    #[serde(default)]
    vary: Option<Spanned<String>>,
    #[serde(default)]
    perturb: Option<Spanned<String>>,
    #[serde(default)]
    expect: Option<Spanned<String>>,
    #[serde(default)]
    original: Option<Spanned<String>>,
    #[serde(default)]
    originals: Option<SpannedList>,
}

/// Converts byte offsets into 1-based lines of one source text.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn at(&self, offset: usize) -> usize {
        let end = offset.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
    fn of(&self, span: Range<usize>) -> usize {
        self.at(span.start)
    }
}

/// Loads every `*.toml` suite directly inside `dir`, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Suite>, BehaviourError> {
    let io = |source| BehaviourError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| load_file(f)).collect()
}

/// Loads one suite file; `[gold]` paths resolve against the file's directory.
pub fn load_file(path: &Path) -> Result<Suite, BehaviourError> {
    let source = fs::read_to_string(path).map_err(|source| BehaviourError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = path.parent().unwrap_or(Path::new("."));
    parse_suite(&source, path, &name, base)
}

/// Parses and validates suite text; `path` and `name` are used in errors and cases, `base` resolves `[gold]`.
pub fn parse_suite(
    source: &str,
    path: &Path,
    name: &str,
    base: &Path,
) -> Result<Suite, BehaviourError> {
    let lines = Lines(source);
    let raw: RawSuite = toml::from_str(source).map_err(|e| BehaviourError::Toml {
        path: path.to_path_buf(),
        line: e.span().map(|s| lines.of(s)).unwrap_or(1),
        source: stance_core::errors::TomlCause::from(e),
    })?;
    let invalid = |line: usize, key: &str, message: String| BehaviourError::Invalid {
        path: path.to_path_buf(),
        line,
        key: key.to_string(),
        message,
    };

    let mut classes = BTreeMap::new();
    if let Some(map) = &raw.classes {
        for (k, v) in map.get_ref() {
            if !GOLD_STANCES.contains(&k.as_str()) {
                return Err(invalid(
                    lines.of(v.span()),
                    "classes",
                    format!("'{k}' is not a guideline class (expected one of {GOLD_STANCES:?})"),
                ));
            }
            classes.insert(k.clone(), v.get_ref().clone());
        }
    }

    let mut gold = Vec::new();
    if let Some(g) = &raw.gold {
        let line = lines.of(g.span());
        let check = load_gold(
            &base.join(&g.get_ref().seeds),
            &base.join(&g.get_ref().labels),
        )
        .map_err(|source| BehaviourError::Gold {
            path: path.to_path_buf(),
            line,
            source,
        })?;
        gold = check
            .units
            .into_iter()
            .filter(|u| u.unit == UnitLevel::Sentence)
            .map(|u| GoldSentence {
                id: u.id,
                doc: u.doc,
                stance: u.stance,
                text: u.text,
            })
            .collect();
    }

    let mut suite = Suite {
        name: name.to_string(),
        path: path.to_path_buf(),
        description: raw.description.clone().unwrap_or_default(),
        classes,
        gold,
        tests: Vec::new(),
    };
    for t in raw.tests {
        let test = validate_test(t, &suite, &lines, &invalid)?;
        if suite.tests.iter().any(|o| o.name == test.name) {
            return Err(invalid(
                test.line,
                "name",
                format!("test '{}' is declared twice", test.name),
            ));
        }
        suite.tests.push(test);
    }
    Ok(suite)
}

fn validate_test(
    t: RawTest,
    suite: &Suite,
    lines: &Lines<'_>,
    invalid: &dyn Fn(usize, &str, String) -> BehaviourError,
) -> Result<TestSpec, BehaviourError> {
    let c = TestCheck {
        suite,
        lines,
        invalid,
    };
    let line = lines.of(t.name.span());
    let name = c.name(&t.name)?;
    let kind = c.kind(&t.kind)?;
    let input = c.input(&t, &name, line)?;
    let slots = c.slots(&t, &input)?;
    let transform = c.transform(&t, &input, &slots)?;
    c.check_shape(kind, &transform, &input, &name, line)?;
    let expect = c.expect(&t, kind, line)?;
    let (original, originals) = c.originals(&t, kind, &input, &expect, line)?;
    let max_cases = c.max_cases(&t)?;
    Ok(TestSpec {
        original,
        originals,
        name,
        kind,
        line,
        description: t.description.unwrap_or_default(),
        input,
        slots,
        transform,
        expect,
        max_cases,
    })
}

/// What validating one `[[test]]` needs from its suite: the suite so far (classes and gold), the file's line index
/// and the error constructor, bundled so each rule's check can stay a short method.
struct TestCheck<'a> {
    suite: &'a Suite,
    lines: &'a Lines<'a>,
    invalid: &'a dyn Fn(usize, &str, String) -> BehaviourError,
}

impl TestCheck<'_> {
    fn err(&self, line: usize, key: &str, message: String) -> BehaviourError {
        (self.invalid)(line, key, message)
    }

    fn name(&self, n: &Spanned<String>) -> Result<String, BehaviourError> {
        let name = n.get_ref().clone();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(self.err(
                self.lines.of(n.span()),
                "name",
                format!("'{name}' must be non-empty ASCII letters, digits, '_' or '-'"),
            ));
        }
        Ok(name)
    }

    fn kind(&self, k: &Spanned<String>) -> Result<TestType, BehaviourError> {
        match k.get_ref().as_str() {
            "mft" => Ok(TestType::Mft),
            "inv" => Ok(TestType::Inv),
            "dir" => Ok(TestType::Dir),
            other => Err(self.err(
                self.lines.of(k.span()),
                "type",
                format!("'{other}' is not one of mft, inv, dir"),
            )),
        }
    }

    fn class(&self, s: &Spanned<String>, key: &str) -> Result<String, BehaviourError> {
        let c = s.get_ref();
        if !GOLD_STANCES.contains(&c.as_str()) {
            return Err(self.err(
                self.lines.of(s.span()),
                key,
                format!("'{c}' is not a guideline class (expected one of {GOLD_STANCES:?})"),
            ));
        }
        if self.suite.class(c).is_none() {
            return Err(self.err(
                self.lines.of(s.span()),
                key,
                format!("class '{c}' is missing from this suite's `classes` mapping"),
            ));
        }
        Ok(c.clone())
    }

    fn located(&self, l: &SpannedList) -> Vec<Located> {
        l.get_ref()
            .iter()
            .map(|s| Located {
                text: s.get_ref().clone(),
                line: self.lines.of(s.span()),
            })
            .collect()
    }

    /// Exactly one of templates, texts, pairs and source.
    fn input(&self, t: &RawTest, name: &str, line: usize) -> Result<Input, BehaviourError> {
        let given: Vec<&str> = [
            ("templates", t.templates.is_some()),
            ("texts", t.texts.is_some()),
            ("pairs", t.pairs.is_some()),
            ("source", t.source.is_some()),
        ]
        .iter()
        .filter(|(_, b)| *b)
        .map(|(k, _)| *k)
        .collect();
        if given.len() != 1 {
            return Err(self.err(
                line,
                "templates",
                format!(
                "test '{name}' needs exactly one of templates, texts, pairs, source; found {given:?}"
            ),
            ));
        }
        let input = if let Some(l) = &t.templates {
            Input::Templates(self.located(l))
        } else if let Some(l) = &t.texts {
            Input::Texts(self.located(l))
        } else if let Some(p) = &t.pairs {
            self.pairs(p)?
        } else {
            self.gold_source(t.source.as_ref().expect("one input is given"), &t.gold_ids)?
        };
        if t.gold_ids.is_some() && !matches!(input, Input::Gold { .. }) {
            return Err(self.err(line, "gold_ids", "gold_ids needs source = \"gold\"".into()));
        }
        Ok(input)
    }

    fn pairs(&self, p: &Spanned<Vec<SpannedList>>) -> Result<Input, BehaviourError> {
        let mut pairs = Vec::new();
        for pair in p.get_ref() {
            let items = self.located(pair);
            if items.len() != 2 {
                return Err(self.err(
                    self.lines.of(pair.span()),
                    "pairs",
                    format!("a pair has 2 texts, this one has {}", items.len()),
                ));
            }
            pairs.push((items[0].clone(), items[1].clone()));
        }
        Ok(Input::Pairs(pairs))
    }

    fn gold_source(
        &self,
        s: &Spanned<String>,
        gold_ids: &Option<SpannedList>,
    ) -> Result<Input, BehaviourError> {
        let sline = self.lines.of(s.span());
        if s.get_ref() != "gold" {
            return Err(self.err(
                sline,
                "source",
                format!("'{}' is not a source (only \"gold\")", s.get_ref()),
            ));
        }
        if self.suite.gold.is_empty() {
            return Err(self.err(
                sline,
                "source",
                "source = \"gold\" needs a [gold] table with labels and seeds".into(),
            ));
        }
        let ids = gold_ids.as_ref().map(|l| self.gold_ids(l)).transpose()?;
        Ok(Input::Gold { ids, line: sline })
    }

    fn gold_ids(&self, l: &SpannedList) -> Result<Vec<String>, BehaviourError> {
        let mut ids = Vec::new();
        for s in l.get_ref() {
            let id = s.get_ref();
            match self.suite.gold.iter().find(|g| &g.id == id) {
                None => {
                    return Err(self.err(
                        self.lines.of(s.span()),
                        "gold_ids",
                        format!("'{id}' is not a sentence of the gold file"),
                    ))
                }
                Some(g) if g.stance == "neutral" => {
                    return Err(self.err(
                        self.lines.of(s.span()),
                        "gold_ids",
                        format!("'{id}' is neutral; gold tests use support/oppose sentences"),
                    ))
                }
                Some(_) => ids.push(id.clone()),
            }
        }
        Ok(ids)
    }

    /// Slots, in declared order, each non-empty and each placeholder of a template filled.
    fn slots(&self, t: &RawTest, input: &Input) -> Result<Vec<Slot>, BehaviourError> {
        // A TOML table deserialises sorted, so order by position in the file.
        let mut slots: Vec<(usize, Slot)> = t
            .fill
            .iter()
            .flatten()
            .map(|(k, v)| {
                (
                    v.span().start,
                    Slot {
                        name: k.clone(),
                        values: v.get_ref().iter().map(|s| s.get_ref().clone()).collect(),
                        line: self.lines.of(v.span()),
                    },
                )
            })
            .collect();
        slots.sort_by_key(|(start, _)| *start);
        let slots: Vec<Slot> = slots.into_iter().map(|(_, s)| s).collect();
        for s in &slots {
            if s.values.is_empty() {
                return Err(self.err(
                    s.line,
                    &format!("fill.{}", s.name),
                    "a slot needs at least one value".into(),
                ));
            }
        }
        let templates: Vec<&Located> = match input {
            Input::Templates(v) => v.iter().collect(),
            Input::Pairs(v) => v.iter().flat_map(|(a, b)| [a, b]).collect(),
            _ => Vec::new(),
        };
        if !slots.is_empty() && templates.is_empty() {
            return Err(self.err(
                slots[0].line,
                "fill",
                "fill needs templates or pairs".into(),
            ));
        }
        for tpl in &templates {
            for slot in slot_names(&tpl.text) {
                if !slots.iter().any(|s| s.name == slot) {
                    return Err(self.err(
                        tpl.line,
                        "templates",
                        format!("slot '{{{slot}}}' has no fill list"),
                    ));
                }
            }
        }
        Ok(slots)
    }

    fn transform(
        &self,
        t: &RawTest,
        input: &Input,
        slots: &[Slot],
    ) -> Result<Transform, BehaviourError> {
        match (&t.perturb, &t.vary) {
            (Some(_), Some(v)) => Err(self.err(
                self.lines.of(v.span()),
                "vary",
                "give perturb or vary, not both".into(),
            )),
            (Some(p), None) => match Perturbation::from_name(p.get_ref()) {
                Some(p) => Ok(Transform::Perturb(p)),
                None => {
                    let names: Vec<&str> = Perturbation::ALL.iter().map(|(n, _)| *n).collect();
                    Err(self.err(
                        self.lines.of(p.span()),
                        "perturb",
                        format!("'{}' is not a perturbation (one of {names:?})", p.get_ref()),
                    ))
                }
            },
            (None, Some(v)) => self.vary(v, input, slots),
            (None, None) => Ok(Transform::None),
        }
    }

    fn vary(
        &self,
        v: &Spanned<String>,
        input: &Input,
        slots: &[Slot],
    ) -> Result<Transform, BehaviourError> {
        let vline = self.lines.of(v.span());
        if !matches!(input, Input::Templates(_)) {
            return Err(self.err(vline, "vary", "vary needs templates".into()));
        }
        match slots.iter().find(|s| &s.name == v.get_ref()) {
            Some(s) if s.values.len() >= 2 => Ok(Transform::Vary(s.name.clone())),
            Some(_) => Err(self.err(
                vline,
                "vary",
                format!("slot '{}' needs at least two values to vary", v.get_ref()),
            )),
            None => Err(self.err(
                vline,
                "vary",
                format!("'{}' is not a slot of this test", v.get_ref()),
            )),
        }
    }

    /// Which inputs and transforms each test type accepts.
    fn check_shape(
        &self,
        kind: TestType,
        transform: &Transform,
        input: &Input,
        name: &str,
        line: usize,
    ) -> Result<(), BehaviourError> {
        match (kind, transform, input) {
            (TestType::Mft, Transform::None, Input::Templates(_) | Input::Texts(_)) => Ok(()),
            (TestType::Mft, _, _) => Err(self.err(
                line,
                "type",
                format!(
                    "MFT test '{name}' takes templates or texts, without perturb, vary or pairs"
                ),
            )),
            (_, Transform::None, Input::Pairs(_)) => Ok(()),
            (_, Transform::None, _) => Err(self.err(
                line,
                "perturb",
                format!("{kind} test '{name}' needs perturb, vary or pairs"),
            )),
            (_, _, Input::Pairs(_)) => Err(self.err(
                line,
                "pairs",
                "pairs already carry their perturbed text; drop perturb/vary".into(),
            )),
            _ => Ok(()),
        }
    }

    fn expect(&self, t: &RawTest, kind: TestType, line: usize) -> Result<Expect, BehaviourError> {
        let expect_line = t
            .expect
            .as_ref()
            .map(|e| self.lines.of(e.span()))
            .unwrap_or(line);
        let expect_str = t.expect.as_ref().map(|e| e.get_ref().as_str());
        let expect = match (kind, expect_str) {
            (TestType::Mft, None) => {
                return Err(self.err(line, "expect", "an MFT test needs expect = <class>".into()))
            }
            (TestType::Mft, Some(_)) => {
                Expect::Class(self.class(t.expect.as_ref().expect("some"), "expect")?)
            }
            (TestType::Inv, None | Some("same")) => Expect::Same,
            (TestType::Inv, Some(o)) => {
                return Err(self.err(
                    expect_line,
                    "expect",
                    format!("an INV test expects \"same\", not '{o}'"),
                ))
            }
            (TestType::Dir, None) => {
                return Err(self.err(
                    line,
                    "expect",
                    "a DIR test needs expect = \"opposite\", \"lower-confidence\" or a class"
                        .into(),
                ))
            }
            (TestType::Dir, Some("opposite")) => self.opposite(t, expect_line)?,
            (TestType::Dir, Some("lower-confidence")) => Expect::LowerConfidence,
            (TestType::Dir, Some(_)) => {
                Expect::Class(self.class(t.expect.as_ref().expect("some"), "expect")?)
            }
        };
        Ok(expect)
    }

    /// `original` (one label for the test) or `originals` (one per template, text or pair): INV and DIR only,
    /// guideline classes in the mapping, not with gold sentences (whose labels are known), never `neutral` when
    /// the test expects the opposite.
    fn originals(
        &self,
        t: &RawTest,
        kind: TestType,
        input: &Input,
        expect: &Expect,
        line: usize,
    ) -> Result<(Option<String>, Option<Vec<String>>), BehaviourError> {
        let key =
            match (&t.original, &t.originals) {
                (None, None) => return Ok((None, None)),
                (Some(_), Some(l)) => return Err(self.err(
                    self.lines.of(l.span()),
                    "originals",
                    "give original (one label for the test) or originals (one per input), not both"
                        .into(),
                )),
                (Some(_), None) => "original",
                (None, Some(_)) => "originals",
            };
        if kind == TestType::Mft {
            return Err(self.err(
                line,
                key,
                "an MFT test states its label in expect; original/originals label the originals of INV and DIR \
                 tests"
                    .into(),
            ));
        }
        if matches!(input, Input::Gold { .. }) {
            return Err(self.err(
                line,
                key,
                "gold sentences carry their own labels; drop original/originals".into(),
            ));
        }
        let opposite = matches!(expect, Expect::Opposite { .. });
        let checked = |s: &Spanned<String>| -> Result<String, BehaviourError> {
            let c = self.class(s, key)?;
            if opposite && c == "neutral" {
                return Err(self.err(
                    self.lines.of(s.span()),
                    key,
                    "neutral has no opposite".into(),
                ));
            }
            Ok(c)
        };
        if let Some(o) = &t.original {
            return Ok((Some(checked(o)?), None));
        }
        let list = t.originals.as_ref().expect("one of them is given");
        let inputs = match input {
            Input::Templates(v) | Input::Texts(v) => v.len(),
            Input::Pairs(v) => v.len(),
            Input::Gold { .. } => 0,
        };
        if list.get_ref().len() != inputs {
            return Err(self.err(
                self.lines.of(list.span()),
                "originals",
                format!(
                    "originals has {} label(s) for {inputs} input(s); give one per template, text or pair, in order",
                    list.get_ref().len()
                ),
            ));
        }
        let labels = list
            .get_ref()
            .iter()
            .map(checked)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((None, Some(labels)))
    }

    fn opposite(&self, t: &RawTest, expect_line: usize) -> Result<Expect, BehaviourError> {
        if self.suite.class("support").is_none() || self.suite.class("oppose").is_none() {
            return Err(self.err(
                expect_line,
                "expect",
                "\"opposite\" needs both support and oppose in the classes mapping".into(),
            ));
        }
        let original = t
            .original
            .as_ref()
            .map(|o| self.class(o, "original"))
            .transpose()?;
        if original.as_deref() == Some("neutral") {
            return Err(self.err(expect_line, "original", "neutral has no opposite".into()));
        }
        Ok(Expect::Opposite { original })
    }

    fn max_cases(&self, t: &RawTest) -> Result<Option<usize>, BehaviourError> {
        match &t.max_cases {
            Some(m) if *m.get_ref() == 0 => Err(self.err(
                self.lines.of(m.span()),
                "max_cases",
                "must be at least 1".into(),
            )),
            m => Ok(m.as_ref().map(|m| *m.get_ref())),
        }
    }
}

/// The slot names a template uses, in order of first use (`{speaker}` → `speaker`).
pub fn slot_names(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}
