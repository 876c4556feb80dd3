//! Label matchers with Prometheus's semantics.
//!
//! A matcher tests one label's value; a series that lacks the label is tested with the empty
//! string, so `{foo=""}` and `{foo!~".+"}` select the series without `foo`.
//!
//! Regexes use Go's RE2 syntax (translated for the `regex` crate by [`super::goregex`]) and
//! are fully anchored as `^(?s:re)$`: a regex must match the whole value, and `.` matches
//! newlines too, as in Prometheus 3.x (Prometheus 2.x anchors `^(?:re)$`, where `.` stops at
//! `\n`; the two agree on every value without a newline).

use std::borrow::Cow;
use std::fmt;

use regex::Regex;
use regex_syntax::hir::literal::Extractor;

use super::goregex;

/// How a matcher compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: equal to the value.
    Equal,
    /// `!=`: not equal to the value.
    NotEqual,
    /// `=~`: the whole value matches the regex.
    Regex,
    /// `!~`: the whole value does not match the regex.
    NotRegex,
}

impl MatchOp {
    /// The operator as written in a selector.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }

    /// True for `!=` and `!~`.
    pub fn is_negative(self) -> bool {
        matches!(self, MatchOp::NotEqual | MatchOp::NotRegex)
    }
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a matcher could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    /// A regex must be UTF-8 (Go's `regexp` refuses anything else).
    #[error("invalid regex: not valid UTF-8")]
    InvalidUtf8,
    /// The regex does not parse, or is too large.
    #[error("invalid regex: {message}")]
    Regex {
        /// Byte offset in the pattern where the problem was found.
        offset: usize,
        /// What is wrong.
        message: String,
    },
}

/// A compiled regex with what its syntax tells about the values it can match.
#[derive(Debug, Clone)]
struct Compiled {
    re: Regex,
    /// Exactly the values the regex matches, sorted, when that set is finite and small.
    set: Option<Vec<Vec<u8>>>,
    /// Every value the regex matches starts with one of these (sorted, none a prefix of
    /// another, none empty); `None` when nothing narrows it.
    prefixes: Option<Vec<Vec<u8>>>,
}

/// Which label values can satisfy the positive part of a matcher (`=` / `=~`, ignoring
/// negation): used to avoid walking every value of a label in the index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Candidates<'m> {
    /// Only these values (sorted).
    Set(&'m [Vec<u8>]),
    /// Only values starting with one of these (sorted, none a prefix of another).
    Prefixes(&'m [Vec<u8>]),
    /// Any value.
    All,
}

/// One label matcher: `name op value`.
#[derive(Debug, Clone)]
pub struct Matcher {
    op: MatchOp,
    name: Vec<u8>,
    value: Vec<u8>,
    regex: Option<Compiled>,
    matches_empty: bool,
}

impl Matcher {
    /// Builds a matcher; for `=~` and `!~` compiles `value` as a Go (RE2) regex, fully
    /// anchored.
    ///
    /// ```
    /// use tsblock::query::{MatchOp, Matcher};
    ///
    /// let m = Matcher::new(MatchOp::Regex, "code", "2..|304")?;
    /// assert!(m.matches(b"200") && m.matches(b"304"));
    /// assert!(!m.matches(b"1200"), "regexes are anchored at both ends");
    /// assert!(Matcher::new(MatchOp::Equal, "job", "")?.matches(b""));
    /// # Ok::<(), tsblock::query::MatcherError>(())
    /// ```
    pub fn new(
        op: MatchOp,
        name: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<Matcher, MatcherError> {
        let name = name.as_ref().to_vec();
        let value = value.as_ref().to_vec();
        let regex = match op {
            MatchOp::Equal | MatchOp::NotEqual => None,
            MatchOp::Regex | MatchOp::NotRegex => Some(compile(&value)?),
        };
        let mut m = Matcher {
            op,
            name,
            value,
            regex,
            matches_empty: false,
        };
        m.matches_empty = m.matches(b"");
        Ok(m)
    }

    /// `name="value"`.
    pub fn equal(name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Matcher {
        Self::literal(MatchOp::Equal, name, value)
    }

    /// `name!="value"`.
    pub fn not_equal(name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Matcher {
        Self::literal(MatchOp::NotEqual, name, value)
    }

    fn literal(op: MatchOp, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Matcher {
        let value = value.as_ref().to_vec();
        Matcher {
            op,
            name: name.as_ref().to_vec(),
            matches_empty: value.is_empty() != op.is_negative(),
            value,
            regex: None,
        }
    }

    /// `name=~"re"`.
    pub fn regex(name: impl AsRef<[u8]>, re: &str) -> Result<Matcher, MatcherError> {
        Self::new(MatchOp::Regex, name, re)
    }

    /// `name!~"re"`.
    pub fn not_regex(name: impl AsRef<[u8]>, re: &str) -> Result<Matcher, MatcherError> {
        Self::new(MatchOp::NotRegex, name, re)
    }

    /// The operator.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The label name.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The value or regex as given.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// True if a series whose label has value `v` (or, for `v = ""`, lacks the label)
    /// passes this matcher.
    #[inline]
    pub fn matches(&self, v: &[u8]) -> bool {
        self.positive(v) != self.op.is_negative()
    }

    /// True if the matcher accepts series that lack the label.
    pub fn matches_empty(&self) -> bool {
        self.matches_empty
    }

    /// The un-negated test: `v == value` or the regex matches `v`.
    #[inline]
    pub(crate) fn positive(&self, v: &[u8]) -> bool {
        let Some(c) = &self.regex else {
            return v == self.value.as_slice();
        };
        if let Some(set) = &c.set {
            if std::str::from_utf8(v).is_ok() {
                return set.binary_search_by(|s| s.as_slice().cmp(v)).is_ok();
            }
        }
        if let Some(prefixes) = &c.prefixes {
            if !prefixes.iter().any(|p| v.starts_with(p)) && std::str::from_utf8(v).is_ok() {
                return false;
            }
        }
        c.re.is_match(&go_string(v))
    }

    /// The values that can pass [`Self::positive`].
    pub(crate) fn candidates(&self) -> Candidates<'_> {
        match &self.regex {
            None => Candidates::Set(std::slice::from_ref(&self.value)),
            Some(Compiled { set: Some(s), .. }) => Candidates::Set(s),
            Some(Compiled {
                prefixes: Some(p), ..
            }) => Candidates::Prefixes(p),
            Some(_) => Candidates::All,
        }
    }
}

impl fmt::Display for Matcher {
    /// `name="value"`, the value quoted as Go's `strconv.Quote` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        crate::text::push_quoted(&mut v, &self.value);
        write!(
            f,
            "{}{}{}",
            String::from_utf8_lossy(&self.name),
            self.op,
            String::from_utf8_lossy(&v)
        )
    }
}

/// The string Go's regexp sees for `v`: each byte of invalid UTF-8 reads as U+FFFD.
fn go_string(v: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(v) {
        return Cow::Borrowed(s);
    }
    let mut s = String::with_capacity(v.len() + 8);
    for chunk in v.utf8_chunks() {
        s.push_str(chunk.valid());
        for _ in chunk.invalid() {
            s.push(char::REPLACEMENT_CHARACTER);
        }
    }
    Cow::Owned(s)
}

/// At most this many literal values stand in for a regex (Prometheus: 256).
const MAX_SET: usize = 256;

fn compile(pattern: &[u8]) -> Result<Compiled, MatcherError> {
    let pattern = std::str::from_utf8(pattern).map_err(|_| MatcherError::InvalidUtf8)?;
    let translated = goregex::translate(pattern).map_err(|e| MatcherError::Regex {
        offset: e.offset,
        message: e.message,
    })?;
    let inner = format!("(?s:{translated})");
    let re = regex::RegexBuilder::new(&format!("^{inner}$"))
        .build()
        .map_err(|e| MatcherError::Regex {
            offset: 0,
            message: e.to_string(),
        })?;
    let (mut set, mut prefixes) = (None, None);
    if let Ok(hir) = regex_syntax::Parser::new().parse(&inner) {
        let mut ex = Extractor::new();
        ex.limit_total(MAX_SET);
        let seq = ex.extract(&hir);
        if let Some(lits) = seq.literals() {
            let mut lits: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
            lits.sort();
            lits.dedup();
            // U+FFFD also stands for invalid UTF-8 in a value (Go reads each bad byte as
            // it), which no byte comparison can find: such literals narrow nothing.
            let replacement = "\u{FFFD}".as_bytes();
            if lits.iter().any(|l| l.windows(3).any(|w| w == replacement)) {
                return Ok(Compiled {
                    re,
                    set: None,
                    prefixes: None,
                });
            }
            // Look-arounds read as empty strings to the extractor: then the literals are
            // still prefixes of every match, but no longer the exact set.
            if seq.is_exact() && hir.properties().look_set().is_empty() {
                set = Some(lits);
            } else if lits.iter().all(|l| !l.is_empty()) {
                let mut kept: Vec<Vec<u8>> = Vec::with_capacity(lits.len());
                for l in lits {
                    // Sorted, so a prefix of `l` sorts before it and, among the kept
                    // ones, last.
                    if !kept.last().is_some_and(|k| l.starts_with(k)) {
                        kept.push(l);
                    }
                }
                prefixes = Some(kept);
            }
        }
    }
    Ok(Compiled { re, set, prefixes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(op: MatchOp, re: &str) -> Matcher {
        Matcher::new(op, "l", re).unwrap()
    }

    #[test]
    fn anchored_whole_value() {
        let r = m(MatchOp::Regex, "a|b");
        assert!(r.matches(b"a") && r.matches(b"b"));
        assert!(!r.matches(b"ab") && !r.matches(b"xa") && !r.matches(b""));
        let r = m(MatchOp::Regex, "foo.*");
        assert!(r.matches(b"foo") && r.matches(b"foobar") && !r.matches(b"afoo"));
    }

    #[test]
    fn dot_matches_newline() {
        let r = m(MatchOp::Regex, "a.b");
        assert!(r.matches(b"a\nb"));
        assert!(m(MatchOp::Regex, ".*").matches(b"x\ny"));
    }

    #[test]
    fn empty_matching() {
        assert!(Matcher::equal("l", "").matches_empty());
        assert!(!Matcher::not_equal("l", "").matches_empty());
        assert!(Matcher::not_equal("l", "x").matches_empty());
        assert!(!Matcher::equal("l", "x").matches_empty());
        assert!(m(MatchOp::Regex, ".*").matches_empty());
        assert!(!m(MatchOp::Regex, ".+").matches_empty());
        assert!(m(MatchOp::NotRegex, ".+").matches_empty());
        assert!(m(MatchOp::Regex, "a|").matches_empty());
    }

    #[test]
    fn literal_sets_and_prefixes() {
        let r = m(MatchOp::Regex, "b|a|c");
        match r.candidates() {
            Candidates::Set(s) => assert_eq!(s, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]),
            c => panic!("{c:?}"),
        }
        let r = m(MatchOp::Regex, "(?i)ab");
        assert!(matches!(r.candidates(), Candidates::Set(s) if s.len() == 4));
        assert!(r.matches(b"aB") && !r.matches(b"abc"));
        let r = m(MatchOp::Regex, "api_.*|apis");
        match r.candidates() {
            Candidates::Prefixes(p) => assert_eq!(p, [b"api_".to_vec(), b"apis".to_vec()]),
            c => panic!("{c:?}"),
        }
        assert!(r.matches(b"api_x") && r.matches(b"apis") && !r.matches(b"apisx"));
        assert!(matches!(
            m(MatchOp::Regex, ".*x").candidates(),
            Candidates::All
        ));
        // A look-around keeps the set from being exact.
        let r = m(MatchOp::Regex, "a$b");
        assert!(!matches!(r.candidates(), Candidates::Set(_)));
        assert!(!r.matches(b"ab"));
    }

    #[test]
    fn invalid_utf8_reads_as_replacement() {
        let r = m(MatchOp::Regex, "a.b");
        assert!(r.matches(b"a\xffb"));
        assert!(!r.matches(b"a\xff\xffb"));
        assert!(matches!(
            Matcher::new(MatchOp::Regex, "l", b"\xff"),
            Err(MatcherError::InvalidUtf8)
        ));
    }

    #[test]
    fn replacement_character_does_not_narrow() {
        // Go reads the invalid byte as U+FFFD, so these match b"\xff" and must not be
        // looked up as literal bytes.
        for re in ["\u{FFFD}", "\u{FFFD}.*", "x|\u{FFFD}"] {
            let r = m(MatchOp::Regex, re);
            assert!(r.matches(b"\xff"), "{re}");
            assert!(matches!(r.candidates(), Candidates::All), "{re}");
        }
    }

    #[test]
    fn display() {
        assert_eq!(Matcher::equal("a", "x\"y").to_string(), r#"a="x\"y""#);
        assert_eq!(m(MatchOp::NotRegex, "b.*").to_string(), r#"l!~"b.*""#);
    }
}
