//! The verdict of a check run in words, kept in one place: the wizard's status line and the
//! closing sentence of `check` both ask `words` here, saying how long the answer may be.

use super::{CheckResult, CheckStatus, Verdict};

/// How much room the words have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// One status line in the wizard: counts, and where the marks say the rest.
    StatusLine,
    /// The last line of `check`: what was proved, and what would let the rest be checked.
    Closing,
}

/// Whether the words bring good news, bad news, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Everything checked passed (perhaps with checks still waiting for later steps).
    Good,
    /// Something was proved wrong.
    Bad,
    /// Nothing proved wrong, nothing proved whole.
    Neutral,
}

/// The verdict said: its tone and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub tone: Tone,
    pub text: String,
}

/// How many results came out each way.
struct Counts {
    passed: usize,
    warned: usize,
    failed: usize,
    unverified: usize,
    skipped: usize,
    waiting: usize,
}

impl Counts {
    fn of(results: &[CheckResult]) -> Counts {
        let count = |s: CheckStatus| results.iter().filter(|r| r.status == s).count();
        Counts {
            passed: count(CheckStatus::Pass),
            warned: count(CheckStatus::Warn),
            failed: count(CheckStatus::Fail),
            unverified: count(CheckStatus::Unverified),
            skipped: count(CheckStatus::Skip),
            waiting: count(CheckStatus::Waiting),
        }
    }
}

/// The verdict of `results` (weighed by `Verdict::of`, or decided by the caller) in words that
/// fit `length`.
pub fn words(verdict: Verdict, results: &[CheckResult], length: Length) -> Said {
    let counts = Counts::of(results);
    let said = |tone, text: String| Said { tone, text };
    match (verdict, length) {
        (Verdict::Verified, Length::StatusLine) => said(
            Tone::Good,
            format!(
                "Verified: all {} checks ran and passed ({} to look at).",
                counts.passed + counts.warned,
                counts.warned
            ),
        ),
        (Verdict::Verified, Length::Closing) => said(
            Tone::Good,
            "Verified: every check ran and passed; OpenAI should be able to use the key.".into(),
        ),
        (Verdict::Failed, Length::StatusLine) => said(
            Tone::Bad,
            format!(
                "Checks: {} failed, {} passed: the failed ones name the step to fix.",
                counts.failed, counts.passed
            ),
        ),
        (Verdict::Failed, Length::Closing) => said(
            Tone::Bad,
            "Failed: fix the failed checks at the step shown, then check again.".into(),
        ),
        (Verdict::NotVerified, _) => {
            if let Some(sentence) = none_could_run(results) {
                return said(Tone::Neutral, sentence);
            }
            match length {
                Length::StatusLine => not_verified_line(&counts),
                Length::Closing => said(Tone::Neutral, not_verified_sentence(results)),
            }
        }
    }
}

/// The status line of a run that proved nothing wrong and not everything.
fn not_verified_line(counts: &Counts) -> Said {
    let Counts {
        passed,
        warned,
        unverified,
        skipped,
        waiting,
        ..
    } = *counts;
    if unverified == 0 && skipped == 0 && passed + warned > 0 {
        return Said {
            tone: Tone::Good,
            text: format!(
                "What is recorded so far checks out: {} passed; {}.",
                passed + warned,
                if waiting == 1 {
                    "1 check waits for a later step".to_string()
                } else {
                    format!("{waiting} checks wait for later steps")
                }
            ),
        };
    }
    let not_run_note = match (skipped, waiting) {
        (0, 0) => String::new(),
        (s, 0) => format!(" {s} not run (marked -)."),
        (0, w) => format!(" {w} wait for later steps (marked …)."),
        (s, w) => format!(" {s} not run (marked -), {w} wait for later steps (marked …)."),
    };
    Said {
        tone: Tone::Neutral,
        text: format!(
            "Not verified: {passed} passed, {unverified} could not be checked (marked ?).{not_run_note}"
        ),
    }
}

/// The closing sentence of a run that proved nothing wrong and not everything: which checks
/// could not be checked and which wait, by title, and what would let them run.
fn not_verified_sentence(results: &[CheckResult]) -> String {
    let titles = |wanted: &[CheckStatus]| -> Vec<&str> {
        results
            .iter()
            .filter(|r| wanted.contains(&r.status))
            .map(|r| r.title)
            .collect()
    };
    let unchecked = titles(&[CheckStatus::Unverified, CheckStatus::Skip]);
    let waiting = titles(&[CheckStatus::Waiting]);
    if unchecked.is_empty() && waiting.is_empty() {
        return "Not verified: no check could run.".into();
    }
    let passed = results
        .iter()
        .any(|r| matches!(r.status, CheckStatus::Pass | CheckStatus::Warn));
    let mut sentence = if passed {
        "Not verified: nothing failed, but".to_string()
    } else {
        "Not verified: no check passed yet:".to_string()
    };
    if !unchecked.is_empty() {
        sentence.push_str(&format!(
            " {} could not be checked ({}); the lines marked ? say what would let them: a permission to add, a sign-in, or the network",
            if unchecked.len() == 1 { "one check" } else { "some checks" },
            unchecked.join(", ")
        ));
    }
    if !waiting.is_empty() {
        if !unchecked.is_empty() {
            sentence.push_str(", and");
        }
        sentence.push_str(&format!(
            " {} for values of later steps ({}): give them to check the whole setup",
            if waiting.len() == 1 {
                "one check waits"
            } else {
                "some checks wait"
            },
            waiting.join(", ")
        ));
    }
    sentence.push('.');
    sentence
}

/// The verdict of a run in which no check could run at all (every one could not be checked
/// or was not run, none passed, warned or failed): how many there were and why, in one
/// sentence. `None` when anything ran, or when checks only wait for later steps.
fn none_could_run(results: &[CheckResult]) -> Option<String> {
    let ran = results.iter().any(|r| {
        matches!(
            r.status,
            CheckStatus::Pass | CheckStatus::Warn | CheckStatus::Fail
        )
    });
    let unchecked: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.status == CheckStatus::Unverified)
        .collect();
    if ran || unchecked.is_empty() {
        return None;
    }
    // The causes first: a check that could not run because another could not is an echo.
    let mut reasons: Vec<String> = Vec::new();
    for result in &unchecked {
        let detail = crate::secrets::visible(&result.detail);
        let reason = detail.strip_prefix("could not check: ").unwrap_or(&detail);
        if reason.starts_with("needs ") {
            continue;
        }
        let reason = crate::secrets::one_line(reason, 160);
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    let more = reasons.len().saturating_sub(2);
    reasons.truncate(2);
    let reasons = if reasons.is_empty() {
        "the lines marked ? say why".to_string()
    } else {
        reasons.join("; ")
    };
    Some(format!(
        "Not verified: none of the {} checks could run: {reasons}{}.",
        results.len(),
        match more {
            0 => String::new(),
            1 => " (and 1 other reason: the lines marked ? say each)".into(),
            n => format!(" (and {n} other reasons: the lines marked ? say each)"),
        }
    ))
}

#[cfg(test)]
mod tests {
    //! Both lengths of each verdict, from one set of results.

    use super::*;
    use crate::guide::{CheckId, StepId};

    fn result(title: &'static str, status: CheckStatus, detail: &str) -> CheckResult {
        CheckResult::new(CheckId::new("c"), title, StepId::new("s"), status, detail)
    }

    fn both(results: &[CheckResult]) -> (Said, Said) {
        let verdict = Verdict::of(results);
        (
            words(verdict, results, Length::StatusLine),
            words(verdict, results, Length::Closing),
        )
    }

    #[test]
    fn a_verified_run_is_good_news_at_both_lengths() {
        let (line, closing) = both(&[
            result("A", CheckStatus::Pass, "ok"),
            result("B", CheckStatus::Warn, "wide"),
        ]);
        assert_eq!(line.tone, Tone::Good);
        assert_eq!(
            line.text,
            "Verified: all 2 checks ran and passed (1 to look at)."
        );
        assert_eq!(closing.tone, Tone::Good);
        assert!(closing.text.starts_with("Verified: every check ran"));
    }

    #[test]
    fn a_failed_run_is_bad_news_at_both_lengths() {
        let (line, closing) = both(&[
            result("A", CheckStatus::Fail, "wrong"),
            result("B", CheckStatus::Pass, "ok"),
            result("C", CheckStatus::Skip, "needs A"),
        ]);
        assert_eq!(line.tone, Tone::Bad);
        assert_eq!(
            line.text,
            "Checks: 1 failed, 1 passed: the failed ones name the step to fix."
        );
        assert_eq!(closing.tone, Tone::Bad);
        assert!(closing.text.starts_with("Failed:"));
    }

    #[test]
    fn checks_that_only_wait_are_good_so_far_on_the_line_and_named_at_the_close() {
        let (line, closing) = both(&[
            result("A", CheckStatus::Pass, "ok"),
            result("Later", CheckStatus::Waiting, "waits"),
        ]);
        assert_eq!(line.tone, Tone::Good);
        assert_eq!(
            line.text,
            "What is recorded so far checks out: 1 passed; 1 check waits for a later step."
        );
        assert_eq!(closing.tone, Tone::Neutral);
        assert!(closing.text.contains("one check waits"), "{}", closing.text);
        assert!(closing.text.contains("(Later)"), "{}", closing.text);
    }

    #[test]
    fn a_run_where_nothing_could_run_says_why_once_at_both_lengths() {
        let results = [
            result(
                "A",
                CheckStatus::Unverified,
                "could not check: no credentials",
            ),
            result("B", CheckStatus::Unverified, "could not check: needs A"),
        ];
        let (line, closing) = both(&results);
        assert_eq!(line, closing);
        assert_eq!(line.tone, Tone::Neutral);
        assert_eq!(
            line.text,
            "Not verified: none of the 2 checks could run: no credentials."
        );
    }

    #[test]
    fn a_partly_checked_run_counts_on_the_line_and_names_at_the_close() {
        let (line, closing) = both(&[
            result("A", CheckStatus::Pass, "ok"),
            result("B", CheckStatus::Unverified, "could not check: 403"),
            result("C", CheckStatus::Skip, "needs B"),
        ]);
        assert_eq!(line.tone, Tone::Neutral);
        assert_eq!(
            line.text,
            "Not verified: 1 passed, 1 could not be checked (marked ?). 1 not run (marked -)."
        );
        assert!(
            closing.text.starts_with(
                "Not verified: nothing failed, but some checks could not be checked (B, C)"
            ),
            "{}",
            closing.text
        );
    }
}
