//! The evaluation layer's checks of a plan against its data ([`stance_eval::budget`], [`stance_eval::feasible`]),
//! tested here because plans are easiest to write as experiment text, which this crate parses.

mod budget {

    use stance_corpus::Dataset;
    use stance_eval::budget::*;
    use stance_eval::Plan;

    use crate::Experiment;

    fn plan_and_data(eval: &str, bootstrap: usize) -> (Plan, Dataset) {
        let toml = format!(
            r#"
name = "t"
seed = 1
bootstrap = {bootstrap}
[data]
source = "gold"
seeds = "{root}/seeds"
labels = "{root}/labels/gold.csv"
classes = ["support", "oppose"]
[evaluation]
{eval}
[[features]]
name = "words"
extractors = [{{ type = "word-ngrams", ngram = [1, 2] }}]
[[classifiers]]
type = "naive-bayes"
[[classifiers]]
type = "majority"
"#,
            root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
        );
        let exp = Experiment::from_source(&toml, None).unwrap();
        (exp.plan().unwrap(), exp.load_data().unwrap().dataset)
    }

    /// `ds` with every item copied `times` times (a larger corpus of the same texts).
    fn scaled(ds: &Dataset, times: usize) -> Dataset {
        let mut big = ds.clone();
        big.items = (0..times).flat_map(|_| ds.items.iter().cloned()).collect();
        big
    }

    #[test]
    fn a_small_run_is_small() {
        let (plan, ds) = plan_and_data("scheme = \"stratified-kfold\"\nk = 3", 2000);
        let e = estimate(&plan, &ds, 2);
        assert!(e.total() < 100 << 20, "{}", human(e.total()));
    }

    #[test]
    fn repeats_drive_the_predictions_term_linearly() {
        let (plan, ds) = plan_and_data("scheme = \"stratified-kfold\"\nk = 3\nrepeats = 1000", 0);
        let big = scaled(&ds, 6000);
        let e = estimate(&plan, &big, 2);
        let top = e.dominant().unwrap();
        assert_eq!(top.what, "out-of-fold predictions");
        assert_eq!(top.keys[0], "evaluation.repeats");
        let n = big.items.len() as u64;
        // Two configurations (naive Bayes and the majority baseline), two classes.
        assert_eq!(top.bytes, n * 1000 * 2 * bytes_per_prediction(2));
        assert!(e.total() > 24 << 30, "{}", human(e.total()));
    }

    #[test]
    fn feature_matrices_grow_with_the_jobs_that_fit_at_once() {
        let (plan, ds) = plan_and_data("scheme = \"stratified-kfold\"\nk = 3", 0);
        let one = estimate(&plan, &ds, 1);
        let two = estimate(&plan, &ds, 2);
        let of = |e: &Estimate| {
            e.terms
                .iter()
                .find(|t| t.what == "feature matrices")
                .unwrap()
                .bytes
        };
        assert_eq!(of(&two), 2 * of(&one));
        // No more folds at once than there are tasks (3 folds × 1 feature set).
        assert_eq!(of(&estimate(&plan, &ds, 64)), 3 * of(&one));
    }
}

mod feasible {
    use stance_corpus::Dataset;
    use stance_eval::feasible::*;
    use stance_eval::Plan;

    use crate::Experiment;

    fn plan_and_data(toml: &str) -> (Plan, Dataset) {
        let exp = Experiment::from_source(toml, None).unwrap();
        (exp.plan().unwrap(), exp.load_data().unwrap().dataset)
    }

    fn tiny(eval: &str, classifier: &str) -> String {
        with_top("", eval, classifier, "")
    }

    fn with_top(top: &str, eval: &str, classifier: &str, tail: &str) -> String {
        format!(
            r#"
{top}
name = "t"
seed = 1
bootstrap = 0
[data]
source = "gold"
seeds = "{root}/seeds"
labels = "{root}/labels/gold.csv"
classes = ["support", "oppose"]
[evaluation]
{eval}
[[features]]
name = "lexicon"
extractors = [{{ type = "lexicon" }}]
[[classifiers]]
{classifier}
{tail}
"#,
            root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
        )
    }

    #[test]
    fn k_above_the_smallest_class_names_evaluation_k_and_an_accepted_value() {
        let (plan, ds) = plan_and_data(&tiny(
            "scheme = \"stratified-kfold\"\nk = 1000",
            "type = \"naive-bayes\"",
        ));
        let smallest = *ds.class_counts().iter().min().unwrap();
        let err = check(&plan, &ds).unwrap_err();
        assert_eq!(err.keys[0], "evaluation.k");
        assert!(
            err.message.contains(&format!("at most {smallest}")),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_feasible_plan_passes() {
        let (plan, ds) = plan_and_data(&tiny(
            "scheme = \"stratified-kfold\"\nk = 2",
            "type = \"naive-bayes\"",
        ));
        check(&plan, &ds).unwrap();
    }

    #[test]
    fn one_group_for_a_group_scheme_names_the_scheme_and_a_working_one() {
        // The bundled gold data is one seed document: one group.
        let (plan, ds) = plan_and_data(&tiny(
            "scheme = \"group-kfold\"\nk = 2",
            "type = \"naive-bayes\"",
        ));
        let err = check(&plan, &ds).unwrap_err();
        assert_eq!(err.keys[0], "evaluation.scheme", "{}", err.message);
        assert!(err.message.contains("stratified-kfold"), "{}", err.message);
    }

    #[test]
    fn tuning_on_a_small_learning_curve_fraction_names_that_fraction() {
        let (plan, ds) = plan_and_data(&with_top(
            "kind = \"learning-curve\"",
            "scheme = \"stratified-kfold\"\nk = 3",
            "type = \"naive-bayes\"\nalpha = [0.1, 1.0]",
            "[learning_curve]\nfractions = [0.1, 1.0]",
        ));
        let err = check(&plan, &ds).unwrap_err();
        assert_eq!(
            err.keys[0], "learning_curve.fractions[0]",
            "{}",
            err.message
        );
        assert!(err.message.contains("tuning needs"), "{}", err.message);
        assert!(err.message.contains("fraction 0.1"), "{}", err.message);
    }
}
