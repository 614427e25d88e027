#!/bin/sh
# A tiny outside system for `[[systems]] command`: a keyword rule in POSIX sh + awk, no model and no training.
#
# stance sends one JSON line per text on stdin, {"id": "...", "text": "..."}, and reads one line per text back,
# {"id": "...", "label": "..."} (optionally with "probabilities": {"support": 0.8, "oppose": 0.2}). This rule counts
# cue words for each side, lets a negation ("not", "n't", "never", "no") flip the verdict, and answers "support"
# on a tie. It only ever says support or oppose, so it suits experiments whose classes include both.
#
# Try it by hand:  echo '{"id":"a","text":"Kyiv must not strike Russia."}' | sh examples/systems/keyword-rule.sh
exec awk '
function json_string(s, start,    out, i, c) {
    # The JSON string whose opening quote is at `start`; escapes are kept as written (ids are echoed back).
    out = ""
    for (i = start + 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") { out = out c substr(s, i + 1, 1); i++; continue }
        if (c == "\"") break
        out = out c
    }
    return out
}
function count(text, stems,    n, w, k, i) {
    # How many of the stems start a word of the text.
    n = split(stems, w, " ")
    k = 0
    for (i = 1; i <= n; i++) if (index(text, " " w[i]) > 0) k++
    return k
}
function negations(text,    n, w, k, i) {
    n = split(text, w, " ")
    k = 0
    for (i = 1; i <= n; i++) if (w[i] == "not" || w[i] == "never" || w[i] == "no" || w[i] ~ /n\047t$/) k++
    return k
}
{
    at = index($0, "\"id\":\"")
    if (at == 0) next
    id = json_string($0, at + 5)
    t = index($0, "\"text\":\"")
    text = " " tolower(json_string($0, t + 7)) " "
    gsub(/[.,;:!?()]/, " ", text)
    pro = count(text, "allow lift permit urge strike retaliat right support defend must should approv green")
    con = count(text, "escalat risk danger warn refus reject oppose against caution restrain red-line provoc nuclear")
    label = (con > pro) ? "oppose" : "support"
    if (negations(text) % 2 == 1) label = (label == "support") ? "oppose" : "support"
    printf "{\"id\":\"%s\",\"label\":\"%s\"}\n", id, label
}'
