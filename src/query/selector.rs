//! PromQL series selectors: the argument of `tsblock dump --match`.
//!
//! A hand-written parser that accepts what Prometheus 2.42's `parser.ParseMetricSelector`
//! accepts (the argument of `promtool tsdb dump --match`), plus Prometheus 3.x's quoted names:
//!
//! ```text
//! selector  = metric [ "{" [ list ] "}" ] | "{" list "}"
//! list      = matcher { "," matcher } [ "," ]
//! matcher   = label op string          (2.42)
//!           | string op string         (3.x: a quoted label name, `{"my.label"="x"}`)
//!           | string                   (3.x: `{"my.metric"}` is `__name__="my.metric"`)
//! op        = "=" | "!=" | "=~" | "!~"
//! metric    = [a-zA-Z_:][a-zA-Z0-9_:]*  but not bool, on, ignoring, group_left, group_right,
//!                                       atan2, inf or nan (any case): PromQL's lexer makes
//!                                       them other tokens; sum, by, offset... are fine
//! label     = [a-zA-Z_][a-zA-Z0-9_]*    (keywords included)
//! string    = "..." | '...'            escapes \a \b \f \n \r \t \v \\, the string's own
//!                                       quote, \NNN (octal, at most 255) and \xHH (one raw
//!                                       byte each, so a value may be invalid UTF-8), \uHHHH and
//!                                       \UHHHHHHHH (no surrogates, at most U+10FFFF); no
//!                                       newline inside
//!           | `...`                    raw: no escapes, newlines allowed
//! ```
//!
//! Spaces, tabs, newlines, carriage returns and `#` comments (to the end of the line) may stand
//! between any two tokens. The 2.42 lexer refuses U+FFFD inside a string (its sign of invalid
//! UTF-8), and so does this parser; write `\ufffd` instead.
//!
//! A metric name becomes a `__name__="metric"` matcher, listed first. As for a PromQL vector
//! selector, a metric name together with a `__name__` matcher inside the braces is an error
//! (`metric name must not be set twice`), which 2.42's `ParseMetricSelector` skips; so is `{}`,
//! which 2.42 accepts and then matches no series with, and so is an empty input. Matchers that
//! match the empty string are allowed: `{job=""}` is a valid selector.
//!
//! Errors carry PromQL's wording where it has one and point at the offending character.

use std::fmt;
use std::str::FromStr;

use super::matcher::{MatchOp, Matcher, MatcherError};

/// A parsed series selector: label matchers that a series must all pass.
#[derive(Debug, Clone)]
pub struct Selector {
    matchers: Vec<Matcher>,
}

impl Selector {
    /// Parses a selector such as `up{job=~"api|web", instance!=""}`.
    ///
    /// ```
    /// use tsblock::query::{MatchOp, Selector};
    ///
    /// let sel = Selector::parse(r#"http_requests{code=~"5..", method!='GET',}"#)?;
    /// let m = sel.matchers();
    /// assert_eq!(m.len(), 3);
    /// assert_eq!((m[0].name(), m[0].value()), (&b"__name__"[..], &b"http_requests"[..]));
    /// assert_eq!(m[1].op(), MatchOp::Regex);
    /// assert!(m[1].matches(b"503") && !m[1].matches(b"5030"));
    /// assert_eq!(sel.to_string(), r#"{__name__="http_requests", code=~"5..", method!="GET"}"#);
    ///
    /// let err = Selector::parse(r#"up{job="api" % }"#).unwrap_err();
    /// assert_eq!(err.column(), 14);
    /// assert_eq!(err.to_string(), "1:14: parse error: unexpected character inside braces: '%'");
    /// # Ok::<(), tsblock::query::SelectorError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Selector, SelectorError> {
        Parser { src: input, pos: 0 }
            .selector()
            .map(|matchers| Selector { matchers })
    }

    /// The matchers, in source order, the metric name's first.
    pub fn matchers(&self) -> &[Matcher] {
        &self.matchers
    }

    /// The matchers, in source order, the metric name's first.
    pub fn into_matchers(self) -> Vec<Matcher> {
        self.matchers
    }
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

impl fmt::Display for Selector {
    /// `{__name__="up", job=~"a.*"}`: every matcher inside the braces; a label name that is not
    /// an identifier is quoted as Prometheus 3.x writes it, so the output parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if is_label(m.name()) {
                write!(f, "{m}")?;
            } else {
                write!(f, "{}{}{}", go_quote(m.name()), m.op(), go_quote(m.value()))?;
            }
        }
        f.write_str("}")
    }
}

/// Why a selector does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: parse error: {message}")]
pub struct SelectorError {
    line: usize,
    column: usize,
    offset: usize,
    message: String,
}

impl SelectorError {
    fn new(src: &str, offset: usize, message: impl Into<String>) -> SelectorError {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or(src);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        SelectorError {
            line: 1 + before.matches('\n').count(),
            column: 1 + before.get(line_start..).unwrap_or("").chars().count(),
            offset,
            message: message.into(),
        }
    }

    /// 1-based line of the problem (selectors span lines only through comments, raw strings or
    /// line breaks between tokens).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the problem in its line, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Byte offset of the problem in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

const METRIC_NAME: &[u8] = b"__name__";

/// A lexed string: its value and, for each value byte, the source offset it came from.
struct Quoted<'a> {
    /// The source text, quotes included.
    raw: &'a str,
    /// Offset of the opening quote.
    start: usize,
    value: Vec<u8>,
    /// Source offset of each byte of `value` (an escape's bytes map to its backslash).
    origin: Vec<usize>,
}

impl Quoted<'_> {
    /// The source offset of value byte `i` (the closing quote past the end).
    fn source_offset(&self, i: usize) -> usize {
        self.origin
            .get(i)
            .copied()
            .unwrap_or(self.start + self.raw.len().saturating_sub(1))
    }
}

/// A token inside braces.
enum Token<'a> {
    Label(&'a str),
    Str(Quoted<'a>),
    Op(MatchOp),
    Comma,
    Close,
}

impl Token<'_> {
    /// How PromQL names the token in "unexpected ..." messages.
    fn describe(&self) -> String {
        match self {
            Token::Label(s) => format!("identifier {}", go_quote(s.as_bytes())),
            Token::Str(q) => format!("string {}", describe_string(q.raw)),
            Token::Op(MatchOp::Equal) => "\"=\"".to_string(),
            Token::Op(op) => format!("<op:{op}>"),
            Token::Comma => "\",\"".to_string(),
            Token::Close => "\"}\"".to_string(),
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Current byte offset; always on a character boundary.
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Consumes and returns the next character.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> SelectorError {
        SelectorError::new(self.src, offset, message)
    }

    /// Skips spaces, tabs, line breaks and `#` comments.
    fn skip_trivia(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\n' | '\r') => self.pos += 1,
                Some('#') => {
                    let rest = self.rest();
                    self.pos += rest.find(['\n', '\r']).unwrap_or(rest.len());
                }
                _ => return,
            }
        }
    }

    fn selector(&mut self) -> Result<Vec<Matcher>, SelectorError> {
        self.skip_trivia();
        let start = self.pos;
        let mut matchers = Vec::new();
        let mut name = None;
        match self.peek() {
            None => return Err(self.err(start, EMPTY)),
            Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let word = self.word();
                if !is_metric_identifier(word) {
                    return Err(self.err(start, format!("unexpected {}", describe_word(word))));
                }
                matchers.push(Matcher::equal(METRIC_NAME, word));
                name = Some(word);
                self.skip_trivia();
            }
            Some('{') => {}
            Some(_) => return Err(self.unexpected_top()),
        }
        let brace = self.pos;
        if self.peek() == Some('{') {
            self.pos += 1;
            let twice = self.braces(&mut matchers, name.is_some())?;
            self.skip_trivia();
            if self.peek().is_some() {
                return Err(self.unexpected_top());
            }
            if let (Some(name), Some((at, value))) = (name, twice) {
                return Err(self.err(
                    at,
                    format!(
                        "metric name must not be set twice: {} or {}",
                        go_quote(name.as_bytes()),
                        go_quote(&value)
                    ),
                ));
            }
        } else if self.peek().is_some() {
            return Err(self.unexpected_top());
        }
        if matchers.is_empty() {
            return Err(self.err(brace, EMPTY));
        }
        Ok(matchers)
    }

    /// A run of `[a-zA-Z0-9_:]`.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let n = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    /// Parses the matchers after `{` through `}`. Returns the first `__name__` matcher's
    /// offset and value when `named`, for the "set twice" check.
    fn braces(
        &mut self,
        out: &mut Vec<Matcher>,
        named: bool,
    ) -> Result<Option<(usize, Vec<u8>)>, SelectorError> {
        let mut twice = None;
        loop {
            // At the start of the list or after a comma: a matcher or the end.
            let (at, tok) = self.token()?;
            let next = match tok {
                Token::Close => return Ok(twice),
                Token::Label(l) => {
                    let (op_at, op) = self.token()?;
                    let Token::Op(op) = op else {
                        return Err(self.unexpected(op_at, &op, "label matching operator"));
                    };
                    out.push(self.matcher(l.as_bytes(), op)?);
                    self.token()?
                }
                Token::Str(q) => match self.token()? {
                    (_, Token::Op(op)) => {
                        out.push(self.matcher(&q.value, op)?);
                        self.token()?
                    }
                    (sep_at, sep @ (Token::Comma | Token::Close)) => {
                        out.push(Matcher::equal(METRIC_NAME, &q.value));
                        (sep_at, sep)
                    }
                    (at, other) => {
                        let expected = "label matching operator, \",\" or \"}\"";
                        return Err(self.unexpected(at, &other, expected));
                    }
                },
                other => return Err(self.unexpected(at, &other, "identifier or \"}\"")),
            };
            if let Some(m) = out.last().filter(|m| named && m.name() == METRIC_NAME) {
                twice = twice.or_else(|| Some((at, m.value().to_vec())));
            }
            match next {
                (_, Token::Comma) => {}
                (_, Token::Close) => return Ok(twice),
                (at, other) => return Err(self.unexpected(at, &other, "\",\" or \"}\"")),
            }
        }
    }

    /// Reads the value after `name op` and builds the matcher.
    fn matcher(&mut self, name: &[u8], op: MatchOp) -> Result<Matcher, SelectorError> {
        let (at, tok) = self.token()?;
        let Token::Str(q) = tok else {
            return Err(self.unexpected(at, &tok, "string"));
        };
        Matcher::new(op, name, &q.value).map_err(|e| {
            let i = match &e {
                MatcherError::InvalidUtf8 => std::str::from_utf8(&q.value)
                    .err()
                    .map_or(0, |u| u.valid_up_to()),
                MatcherError::Regex { offset, .. } => *offset,
            };
            self.err(q.source_offset(i), e.to_string())
        })
    }

    fn unexpected(&self, at: usize, tok: &Token<'_>, expected: &str) -> SelectorError {
        self.err(
            at,
            format!(
                "unexpected {} in label matching, expected {expected}",
                tok.describe()
            ),
        )
    }

    /// Lexes the next token inside braces, after trivia.
    fn token(&mut self) -> Result<(usize, Token<'a>), SelectorError> {
        self.skip_trivia();
        let at = self.pos;
        let Some(c) = self.bump() else {
            return Err(self.err(at, "unexpected end of input inside braces"));
        };
        let tok = match c {
            'a'..='z' | 'A'..='Z' | '_' => {
                self.pos = at;
                let rest = self.rest();
                let n = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                self.pos += n;
                Token::Label(&rest[..n])
            }
            ',' => Token::Comma,
            '}' => Token::Close,
            '"' | '\'' | '`' => Token::Str(self.string(at, c)?),
            '=' if self.peek() == Some('~') => {
                self.pos += 1;
                Token::Op(MatchOp::Regex)
            }
            '=' => Token::Op(MatchOp::Equal),
            '!' => match self.bump() {
                Some('~') => Token::Op(MatchOp::NotRegex),
                Some('=') => Token::Op(MatchOp::NotEqual),
                Some(c) => {
                    return Err(self.err(
                        at,
                        format!(
                            "unexpected character after '!' inside braces: {}",
                            go_quote_rune(c)
                        ),
                    ))
                }
                None => return Err(self.err(self.pos, "unexpected end of input inside braces")),
            },
            '{' => return Err(self.err(at, "unexpected left brace '{'")),
            c => {
                return Err(self.err(
                    at,
                    format!("unexpected character inside braces: {}", go_quote_rune(c)),
                ))
            }
        };
        Ok((at, tok))
    }

    /// Lexes a string whose opening `quote` at `start` has been consumed.
    fn string(&mut self, start: usize, quote: char) -> Result<Quoted<'a>, SelectorError> {
        let mut value = Vec::new();
        let mut origin = Vec::new();
        loop {
            let at = self.pos;
            let Some(c) = self.bump() else {
                let what = if quote == '`' {
                    "unterminated raw string"
                } else {
                    "unterminated quoted string"
                };
                return Err(self.err(start, what));
            };
            if c == quote {
                break;
            }
            match c {
                '\n' if quote != '`' => {
                    return Err(self.err(start, "unterminated quoted string"));
                }
                char::REPLACEMENT_CHARACTER => {
                    let hint = if quote == '`' {
                        ""
                    } else {
                        " (write U+FFFD as \\ufffd)"
                    };
                    return Err(self.err(at, format!("invalid UTF-8 rune{hint}")));
                }
                '\\' if quote != '`' => {
                    let mut buf = [0; 4];
                    let bytes = self.escape(at, quote, &mut buf)?;
                    value.extend_from_slice(bytes);
                    origin.extend(std::iter::repeat_n(at, bytes.len()));
                }
                c => {
                    let mut buf = [0; 4];
                    value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    origin.extend(std::iter::repeat_n(at, c.len_utf8()));
                }
            }
        }
        Ok(Quoted {
            raw: self.src.get(start..self.pos).unwrap_or(""),
            start,
            value,
            origin,
        })
    }

    /// Decodes the escape whose backslash at `at` has been consumed, into `buf`.
    fn escape<'b>(
        &mut self,
        at: usize,
        quote: char,
        buf: &'b mut [u8; 4],
    ) -> Result<&'b [u8], SelectorError> {
        let Some(c) = self.bump() else {
            return Err(self.err(at, "escape sequence not terminated"));
        };
        let simple = match c {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            c if c == quote => Some(quote as u8),
            _ => None,
        };
        if let Some(b) = simple {
            buf[0] = b;
            return Ok(&buf[..1]);
        }
        let (digits, base, max) = match c {
            '0'..='7' => {
                self.pos -= 1; // The first of the three digits.
                (3, 8, 255)
            }
            'x' => (2, 16, 255),
            'u' => (4, 16, u32::from(char::MAX)),
            'U' => (8, 16, u32::from(char::MAX)),
            c => return Err(self.err(at, format!("unknown escape sequence {}", go_unicode(c)))),
        };
        let mut x: u32 = 0;
        for _ in 0..digits {
            let Some(c) = self.bump() else {
                return Err(self.err(at, "escape sequence not terminated"));
            };
            let Some(d) = c.to_digit(base) else {
                return Err(self.err(
                    at,
                    format!("illegal character {} in escape sequence", go_unicode(c)),
                ));
            };
            // At most 8 hex digits: no overflow.
            x = x.wrapping_mul(base).wrapping_add(d);
        }
        let invalid = || self.err(at, "escape sequence is an invalid Unicode code point");
        if x > max {
            return Err(invalid());
        }
        if c == 'u' || c == 'U' {
            let ch = char::from_u32(x).ok_or_else(invalid)?;
            Ok(ch.encode_utf8(buf).as_bytes())
        } else {
            buf[0] = u8::try_from(x).map_err(|_| invalid())?;
            Ok(&buf[..1])
        }
    }

    /// The error for an unexpected token outside braces, at the current position.
    fn unexpected_top(&mut self) -> SelectorError {
        let at = self.pos;
        let Some(c) = self.bump() else {
            return self.err(at, "unexpected end of input");
        };
        let what = match c {
            'a'..='z' | 'A'..='Z' | '_' | ':' => {
                self.pos = at;
                describe_word(self.word())
            }
            '0'..='9' | '.' if c != '.' || self.peek().is_some_and(|d| d.is_ascii_digit()) => {
                self.pos = at;
                let rest = self.rest();
                let n = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(rest.len());
                format!("number {}", go_quote(&rest.as_bytes()[..n]))
            }
            '"' | '\'' | '`' => match self.string(at, c) {
                Ok(q) => format!("string {}", describe_string(q.raw)),
                Err(e) => return e,
            },
            '{' | '(' | '[' | ',' => format!("\"{c}\""),
            ')' => return self.err(at, "unexpected right parenthesis ')'"),
            ']' => return self.err(at, "unexpected right bracket ']'"),
            '=' => match self.peek() {
                Some('=') => "<op:==>".to_string(),
                Some('~') => return self.err(at, "unexpected character after '=': '~'"),
                _ => "\"=\"".to_string(),
            },
            '!' => match self.peek() {
                Some('=') => "<op:!=>".to_string(),
                c => {
                    let c = c.map_or("end of input".to_string(), go_quote_rune);
                    return self.err(at, format!("unexpected character after '!': {c}"));
                }
            },
            '<' | '>' if self.peek() == Some('=') => format!("<op:{c}=>"),
            '<' | '>' | '+' | '-' | '*' | '/' | '%' | '^' | '@' => format!("<op:{c}>"),
            c => {
                return self.err(at, format!("unexpected character: {}", go_quote_rune(c)));
            }
        };
        self.err(at, format!("unexpected {what}"))
    }
}

const EMPTY: &str = "empty selector: omit --match to select every series";

/// Words PromQL's lexer turns into something other than a metric identifier.
fn is_metric_identifier(word: &str) -> bool {
    !matches!(
        word.to_ascii_lowercase().as_str(),
        "bool" | "on" | "ignoring" | "group_left" | "group_right" | "atan2" | "inf" | "nan"
    )
}

/// How PromQL names the token a word lexes to, outside braces.
fn describe_word(word: &str) -> String {
    let q = || go_quote(word.as_bytes());
    match word.to_ascii_lowercase().as_str() {
        "and" | "or" | "unless" | "atan2" => format!("<op:{word}>"),
        "sum" | "avg" | "count" | "min" | "max" | "group" | "stddev" | "stdvar" | "topk"
        | "bottomk" | "count_values" | "quantile" => format!("<aggr:{word}>"),
        "offset" | "by" | "without" | "on" | "ignoring" | "group_left" | "group_right" | "bool" => {
            format!("<{word}>")
        }
        "start" | "end" => q(),
        "inf" | "nan" => format!("number {}", q()),
        _ if word.contains(':') => format!("metric identifier {}", q()),
        _ => format!("identifier {}", q()),
    }
}

/// Go's `%q` of a string token's source text, cut to 10 characters and `...` when longer
/// than 10 bytes, as PromQL's `Item.String` does.
fn describe_string(raw: &str) -> String {
    if raw.len() <= 10 {
        return go_quote(raw.as_bytes());
    }
    let cut = raw.char_indices().nth(10).map_or(raw.len(), |(i, _)| i);
    format!("{}...", go_quote(raw.get(..cut).unwrap_or(raw).as_bytes()))
}

/// Go's `strconv.Quote`.
fn go_quote(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    crate::text::push_quoted(&mut out, s);
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `strconv.QuoteRune`: `'x'`, `'\''`, `'\n'`, `'\u200b'`.
fn go_quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c => {
            let q = go_quote(c.encode_utf8(&mut [0; 4]).as_bytes());
            format!("'{}'", q.get(1..q.len() - 1).unwrap_or(""))
        }
    }
}

/// Go's `%#U`: `U+0071 'q'`, or `U+000A` for a rune that is not printable.
fn go_unicode(c: char) -> String {
    let q = go_quote_rune(c);
    let printable = matches!(c, '"' | '\'' | '\\') || q.chars().count() == 3;
    if printable {
        format!("U+{:04X} '{c}'", u32::from(c))
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label(s: &[u8]) -> bool {
    matches!(s.first(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_'))
        && s.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, op, value)` of each matcher.
    fn parse(s: &str) -> Vec<(String, MatchOp, Vec<u8>)> {
        Selector::parse(s)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .matchers()
            .iter()
            .map(|m| {
                let name = String::from_utf8_lossy(m.name()).into_owned();
                (name, m.op(), m.value().to_vec())
            })
            .collect()
    }

    fn value(s: &str) -> Vec<u8> {
        let m = parse(s);
        assert_eq!(m.len(), 1, "{s:?}");
        m[0].2.clone()
    }

    /// `(column, message)` of the error.
    fn error(s: &str) -> (usize, String) {
        match Selector::parse(s) {
            Ok(sel) => panic!("{s:?} parsed as {sel}"),
            Err(e) => {
                assert!(e.to_string().ends_with(e.message()));
                (e.column(), e.message().to_string())
            }
        }
    }

    fn eq(name: &str, v: &str) -> (String, MatchOp, Vec<u8>) {
        (name.to_string(), MatchOp::Equal, v.as_bytes().to_vec())
    }

    #[test]
    fn forms() {
        assert_eq!(parse("up"), [eq("__name__", "up")]);
        assert_eq!(parse("up{}"), [eq("__name__", "up")]);
        assert_eq!(parse(r#"{job="a"}"#), [eq("job", "a")]);
        assert_eq!(
            parse(r#"up{job="a"}"#),
            [eq("__name__", "up"), eq("job", "a")]
        );
        let all = parse(r#"m{a="1",b!="2",c=~"3",d!~"4"}"#);
        let ops: Vec<MatchOp> = all.iter().map(|m| m.1).collect();
        use MatchOp::*;
        assert_eq!(ops, [Equal, Equal, NotEqual, Regex, NotRegex]);
        assert_eq!(all[4], ("d".to_string(), NotRegex, b"4".to_vec()));
        assert_eq!(parse(r#"{job=""}"#), [eq("job", "")]);
        assert_eq!(parse(r#"{job!~".*"}"#).len(), 1);
        assert_eq!(parse(":"), [eq("__name__", ":")]);
        assert_eq!(parse("a:b_1:"), [eq("__name__", "a:b_1:")]);
        assert_eq!(parse("_"), [eq("__name__", "_")]);
        let s: Selector = "x{y='z'}".parse().unwrap();
        assert_eq!(s.into_matchers().len(), 2);
    }

    #[test]
    fn trailing_commas_and_trivia() {
        assert_eq!(parse(r#"{a="1",}"#), [eq("a", "1")]);
        assert_eq!(parse(r#"up{a="1",b="2",}"#).len(), 3);
        let spaced = " \t\r\n up \n { a \t= \r\n \"1\" , b\n=~'2' , } \n ";
        assert_eq!(parse(spaced)[1], eq("a", "1"));
        let commented =
            "# lead\nup # after name\n{ # open\n a # name\n = # op\n \"1\" # v\n , # c\n } # end";
        assert_eq!(parse(commented), [eq("__name__", "up"), eq("a", "1")]);
        // A comment runs to a carriage return too.
        assert_eq!(parse("up #x\r{a='1'}").len(), 2);
        assert_eq!(parse("up#"), [eq("__name__", "up")]);
        assert_eq!(error("up{a='1',,}").0, 10);
        assert_eq!(error("up{,}").0, 4);
    }

    #[test]
    fn keywords_as_names() {
        for kw in [
            "sum",
            "by",
            "offset",
            "and",
            "or",
            "unless",
            "without",
            "start",
            "end",
            "SUM",
            "Offset",
            "count_values",
            "topk",
            "group",
            "limitk",
            "limit_ratio",
            "__name__",
        ] {
            assert_eq!(parse(kw), [eq("__name__", kw)]);
            if kw != "__name__" {
                assert_eq!(parse(&format!("{kw}{{{kw}='x'}}"))[1], eq(kw, "x"));
            }
        }
        let labels = parse(r#"{bool="1", on="2", inf="3", NaN="4", atan2="5", group_left="6"}"#);
        assert_eq!(labels[3], eq("NaN", "4"));
        assert_eq!(error("bool"), (1, "unexpected <bool>".into()));
        assert_eq!(error("On{a='b'}"), (1, "unexpected <On>".into()));
        assert_eq!(error("ignoring").1, "unexpected <ignoring>");
        assert_eq!(error("group_right").1, "unexpected <group_right>");
        assert_eq!(error("atan2").1, "unexpected <op:atan2>");
        assert_eq!(error("Inf").1, r#"unexpected number "Inf""#);
        assert_eq!(error("nan").1, r#"unexpected number "nan""#);
        // With a colon they are plain metric identifiers.
        assert_eq!(parse("bool:x"), [eq("__name__", "bool:x")]);
    }

    #[test]
    fn escapes() {
        let cases: [(&str, &[u8]); 20] = [
            (r#"{a="\a\b\f\n\r\t\v\\"}"#, b"\x07\x08\x0c\n\r\t\x0b\\"),
            (r#"{a="\""}"#, b"\""),
            (r#"{a='\''}"#, b"'"),
            (r#"{a='"'}"#, b"\""),
            (r#"{a="'"}"#, b"'"),
            (r#"{a="\101\060\000"}"#, b"A0\0"),
            (r#"{a="\377"}"#, b"\xff"),
            (r#"{a="\x41\x7a\x7A"}"#, b"Azz"),
            (r#"{a="\xff\xFE"}"#, b"\xff\xfe"),
            (r#"{a="\u00e9\u00E9"}"#, "éé".as_bytes()),
            (r#"{a="\U0001F600"}"#, "😀".as_bytes()),
            (r#"{a="\U0010ffff"}"#, "\u{10ffff}".as_bytes()),
            (r#"{a="\ufffd"}"#, "\u{fffd}".as_bytes()),
            (r#"{a="\ud7ff\ue000"}"#, "\u{d7ff}\u{e000}".as_bytes()),
            (r#"{a=`\n\x`}"#, br"\n\x"),
            ("{a=`line\nbreak\r'\"`}", b"line\nbreak\r'\""),
            ("{a=``}", b""),
            ("{a=\"tab\there\rcr\"}", b"tab\there\rcr"),
            (r#"{a="héllo ✓ 😀 日本"}"#, "héllo ✓ 😀 日本".as_bytes()),
            (r#"{a='\\'}"#, b"\\"),
        ];
        for (s, want) in cases {
            assert_eq!(value(s), want, "{s}");
        }
        // Raw bytes may make a value invalid UTF-8; it still matches exactly.
        let sel = Selector::parse(r#"{a="x\xc3"}"#).unwrap();
        assert!(sel.matchers()[0].matches(b"x\xc3"));
        assert_eq!(sel.to_string(), r#"{a="x\xc3"}"#);
    }

    #[test]
    fn escape_errors() {
        let cases = [
            (r#"{a="\q"}"#, 5, "unknown escape sequence U+0071 'q'"),
            (r#"{a="\'"}"#, 5, "unknown escape sequence U+0027 '''"),
            (r#"{a='\"'}"#, 5, "unknown escape sequence U+0022 '\"'"),
            ("{a=\"\\\n\"}", 5, "unknown escape sequence U+000A"),
            (
                r#"{a="\400"}"#,
                5,
                "escape sequence is an invalid Unicode code point",
            ),
            (
                r#"{a="\08"}"#,
                5,
                "illegal character U+0038 '8' in escape sequence",
            ),
            (
                r#"{a="\x4g"}"#,
                5,
                "illegal character U+0067 'g' in escape sequence",
            ),
            (
                r#"{a="\x4"}"#,
                5,
                "illegal character U+0022 '\"' in escape sequence",
            ),
            (
                r#"{a="\u12"}"#,
                5,
                "illegal character U+0022 '\"' in escape sequence",
            ),
            (
                r#"{a="\ud800"}"#,
                5,
                "escape sequence is an invalid Unicode code point",
            ),
            (
                r#"{a="\udfff"}"#,
                5,
                "escape sequence is an invalid Unicode code point",
            ),
            (
                r#"{a="\U00110000"}"#,
                5,
                "escape sequence is an invalid Unicode code point",
            ),
            (
                r#"{a="\UFFFFFFFF"}"#,
                5,
                "escape sequence is an invalid Unicode code point",
            ),
            (r#"{a="é\x"#, 6, "escape sequence not terminated"),
            (r#"{a="\"#, 5, "escape sequence not terminated"),
            (r#"{a="\12"#, 5, "escape sequence not terminated"),
        ];
        for (s, col, msg) in cases {
            assert_eq!(error(s), (col, msg.to_string()), "{s}");
        }
    }

    #[test]
    fn string_errors() {
        assert_eq!(error(r#"{a="x"#), (4, "unterminated quoted string".into()));
        assert_eq!(
            error("{a='x\ny'}"),
            (4, "unterminated quoted string".into())
        );
        assert_eq!(error("{a=`x"), (4, "unterminated raw string".into()));
        assert_eq!(error("{a=\"x\u{fffd}\"}").0, 6);
        assert!(error("{a=`\u{fffd}`}").1.starts_with("invalid UTF-8 rune"));
    }

    #[test]
    fn syntax_errors() {
        let cases = [
            ("", 1, EMPTY),
            ("  # only a comment", 19, EMPTY),
            ("{}", 1, EMPTY),
            (" { } ", 2, EMPTY),
            (
                "{a=}",
                4,
                r#"unexpected "}" in label matching, expected string"#,
            ),
            (
                "{a}",
                3,
                r#"unexpected "}" in label matching, expected label matching operator"#,
            ),
            (
                r#"{a="b" c="d"}"#,
                8,
                r#"unexpected identifier "c" in label matching, expected "," or "}""#,
            ),
            (
                "{=",
                2,
                r#"unexpected "=" in label matching, expected identifier or "}""#,
            ),
            (
                "{a=~b}",
                5,
                r#"unexpected identifier "b" in label matching, expected string"#,
            ),
            (
                "{a==\"b\"}",
                4,
                r#"unexpected "=" in label matching, expected string"#,
            ),
            (
                "{a!=!~'b'}",
                5,
                "unexpected <op:!~> in label matching, expected string",
            ),
            (
                "{a='b' 'cdefghijkl'}",
                8,
                r#"unexpected string "'cdefghijk"... in label matching, expected "," or "}""#,
            ),
            (
                "{'x' 'y'}",
                6,
                concat!(
                    r#"unexpected string "'y'" in label matching, "#,
                    r#"expected label matching operator, "," or "}""#
                ),
            ),
            (
                "{'x'=}",
                6,
                r#"unexpected "}" in label matching, expected string"#,
            ),
            ("{a='b'", 7, "unexpected end of input inside braces"),
            ("{a", 3, "unexpected end of input inside braces"),
            ("{a!", 4, "unexpected end of input inside braces"),
            (
                "{a!x'b'}",
                3,
                "unexpected character after '!' inside braces: 'x'",
            ),
            ("{a='b'{", 7, "unexpected left brace '{'"),
            ("{a.b='c'}", 3, "unexpected character inside braces: '.'"),
            ("{1a='c'}", 2, "unexpected character inside braces: '1'"),
            ("{a:b='c'}", 3, "unexpected character inside braces: ':'"),
            ("{é='c'}", 2, "unexpected character inside braces: 'é'"),
            (
                "{a='c',\u{0}}",
                8,
                r"unexpected character inside braces: '\x00'",
            ),
            ("{a='c'}}", 8, "unexpected character: '}'"),
            ("up bar", 4, r#"unexpected identifier "bar""#),
            ("up{} sum", 6, "unexpected <aggr:sum>"),
            ("up{}{}", 5, r#"unexpected "{""#),
            ("up[5m]", 3, r#"unexpected "[""#),
            ("up offset 5m", 4, "unexpected <offset>"),
            ("up ==", 4, "unexpected <op:==>"),
            ("up =~", 4, "unexpected character after '=': '~'"),
            ("up != 1", 4, "unexpected <op:!=>"),
            ("up @ 1", 4, "unexpected <op:@>"),
            ("up)", 3, "unexpected right parenthesis ')'"),
            ("(up)", 1, r#"unexpected "(""#),
            ("5m", 1, r#"unexpected number "5m""#),
            ("up 'x'", 4, r#"unexpected string "'x'""#),
            ("up 'x", 4, "unterminated quoted string"),
            (r#""up""#, 1, r#"unexpected string "\"up\"""#),
            ("up$", 3, "unexpected character: '$'"),
            ("fooé", 4, "unexpected character: 'é'"),
            ("a:b:c x:y", 7, r#"unexpected metric identifier "x:y""#),
        ];
        for (s, col, msg) in cases {
            assert_eq!(error(s), (col, msg.to_string()), "{s:?}");
        }
    }

    #[test]
    fn error_positions() {
        let e = Selector::parse("up{a='é',\n  b='ü' %}").unwrap_err();
        assert_eq!((e.line(), e.column(), e.offset()), (2, 9, 20));
        assert_eq!(
            e.to_string(),
            "2:9: parse error: unexpected character inside braces: '%'"
        );
        let e = Selector::parse("{a='日本'}}").unwrap_err();
        assert_eq!((e.column(), e.offset()), (9, 12));
        let e = Selector::parse("{a=`x\ny`, b}").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 6));
    }

    #[test]
    fn metric_name_twice() {
        let msg = |a: &str, b: &str| format!("metric name must not be set twice: {a:?} or {b:?}");
        assert_eq!(error(r#"up{__name__="x"}"#), (4, msg("up", "x")));
        assert_eq!(error(r#"up{a="1", __name__!~"x"}"#), (11, msg("up", "x")));
        assert_eq!(error(r#"up{"x"}"#), (4, msg("up", "x")));
        assert_eq!(error(r#"up{"__name__"="x", "y"}"#), (4, msg("up", "x")));
        // Without a metric name outside, several are allowed, as in PromQL.
        assert_eq!(parse(r#"{__name__="a", __name__=~"b"}"#).len(), 2);
        assert_eq!(
            parse(r#"{"a", "b",}"#),
            [eq("__name__", "a"), eq("__name__", "b")]
        );
        // Syntax errors come first.
        assert_eq!(error(r#"up{__name__="x" %}"#).0, 17);
    }

    #[test]
    fn quoted_names() {
        assert_eq!(parse(r#"{"my.label"="x"}"#), [eq("my.label", "x")]);
        assert_eq!(
            parse(r#"{"my.metric", job="a"}"#),
            [eq("__name__", "my.metric"), eq("job", "a")]
        );
        assert_eq!(parse(r#"{'a b'!~"x"}"#)[0].1, MatchOp::NotRegex);
        assert_eq!(parse("{`raw\nname`='x',}")[0].0, "raw\nname");
        assert_eq!(parse(r#"{"\u00e9"}"#), [eq("__name__", "é")]);
        assert_eq!(parse(r#"{""}"#), [eq("__name__", "")]);
        assert_eq!(parse(r#"{""="x"}"#), [eq("", "x")]);
        assert_eq!(parse(r#"{"__name__"="m"}"#), [eq("__name__", "m")]);
        let sel = Selector::parse(r#"{"my.metric", "a-b"=~"c", d="e"}"#).unwrap();
        assert_eq!(
            sel.to_string(),
            r#"{__name__="my.metric", "a-b"=~"c", d="e"}"#
        );
    }

    #[test]
    fn regex_values() {
        let sel = Selector::parse(r#"{a=~"x\\d+|y", b!~'z.*'}"#).unwrap();
        assert!(sel.matchers()[0].matches(b"x12") && !sel.matchers()[0].matches(b"x"));
        assert!(!sel.matchers()[1].matches(b"zzz") && sel.matchers()[1].matches(b"a"));
        // A bad regex is reported inside its value.
        let e = Selector::parse(r#"up{job=~"a(b"}"#).unwrap_err();
        assert!(e.message().starts_with("invalid regex"), "{e}");
        assert!((10..=13).contains(&e.column()), "{e}");
        // A regex must be UTF-8: pointed at the escape that breaks it.
        let e = Selector::parse(r#"{a=~"ab\xffc"}"#).unwrap_err();
        assert_eq!(
            (e.column(), e.message()),
            (8, "invalid regex: not valid UTF-8")
        );
        // Equality matchers take any bytes.
        assert_eq!(value(r#"{a="(\xff"}"#), b"(\xff");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "up",
            r#"up{job=~"a|b", x!="\"q\"\n", y!~`\d`}"#,
            r#"{"a.b"="\xff", "\u00e9"="", "c"}"#,
            r#"{a="tab\there", b="\x00\x7f"}"#,
        ] {
            let a = Selector::parse(s).unwrap();
            let b = Selector::parse(&a.to_string()).unwrap_or_else(|e| panic!("{a}: {e}"));
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(parse(s), parse(&a.to_string()));
        }
        assert_eq!(
            Selector::parse("up{a='b'}").unwrap().to_string(),
            r#"{__name__="up", a="b"}"#
        );
    }

    /// Differential check against Prometheus 2.42's `promtool tsdb dump --match` (which calls
    /// `parser.ParseMetricSelector`): both must accept or reject the same selectors, but for
    /// the intended differences (`{}`, a metric name set twice, 3.x quoted names).
    ///
    /// `cargo test --lib query::selector -- --ignored --nocapture`; needs `promtool` 2.42.
    #[test]
    #[ignore = "runs promtool 2.42 several hundred times"]
    fn differential_promtool() {
        use std::process::Command;

        let version = Command::new("promtool")
            .arg("--version")
            .output()
            .expect("promtool (Prometheus 2.42) must be on PATH for this test");
        let version = String::from_utf8_lossy(&version.stdout).into_owned();
        assert!(
            version.contains("version 2.42."),
            "want promtool 2.42: {version}"
        );

        // promtool wants a data directory with a block and a `wal/` directory.
        fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
            std::fs::create_dir_all(to).unwrap();
            for entry in std::fs::read_dir(from).unwrap() {
                let entry = entry.unwrap();
                let dest = to.join(entry.file_name());
                if entry.file_type().unwrap().is_dir() {
                    copy_dir(&entry.path(), &dest);
                } else {
                    std::fs::copy(entry.path(), dest).unwrap();
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&root.join("testdata/blocks/values"), dir.path());
        std::fs::create_dir(dir.path().join("wal")).unwrap();
        let promtool = |sel: &str| -> Result<(), String> {
            let out = Command::new("promtool")
                .args(["tsdb", "dump", &format!("--match={sel}")])
                .arg(dir.path())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() {
                Ok(())
            } else if stderr.contains("parse error") {
                Err(stderr)
            } else {
                panic!("promtool failed on {sel:?}: {stderr}")
            }
        };

        // (selector, its 2.42 twin): the twin spells quoted names the 2.42 way.
        let mut cases: Vec<(String, String)> = DIFF_CASES
            .iter()
            .map(|s| (s.to_string(), s.to_string()))
            .collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..250 {
            cases.push(rng.selector());
        }
        for _ in 0..150 {
            let n = rng.below(14);
            let s: String = (0..n).map(|_| rng.pick(JUNK)).collect();
            cases.push((s.clone(), s));
        }
        for _ in 0..150 {
            let (_, mut s) = rng.selector();
            let mut chars: Vec<char> = s.chars().collect();
            let i = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if i < chars.len() => drop(chars.remove(i)),
                1 if i < chars.len() => chars[i] = rng.pick(JUNK),
                _ => chars.insert(i, rng.pick(JUNK)),
            }
            s = chars.into_iter().collect();
            cases.push((s.clone(), s));
        }

        let mut n = [0; 6];
        let [accepted, rejected, twins, empty, twice, quoted] = [0, 1, 2, 3, 4, 5];
        let mut bad = Vec::new();
        for (sel, twin) in &cases {
            let ours = Selector::parse(sel);
            let theirs = promtool(twin);
            let class = match (&ours, &theirs) {
                (Ok(a), Ok(())) if sel != twin => {
                    let b = Selector::parse(twin).unwrap();
                    assert_eq!(a.to_string(), b.to_string(), "{sel:?} vs {twin:?}");
                    twins
                }
                (Ok(_), Ok(())) => accepted,
                (Err(_), Err(_)) => rejected,
                (Err(e), Ok(())) if e.message() == EMPTY => empty,
                (Err(e), Ok(())) if e.message().starts_with("metric name must not") => twice,
                (Ok(_), Err(e))
                    if e.contains("parse error: unexpected string")
                        && e.contains("in label matching, expected identifier or \"}\"") =>
                {
                    quoted
                }
                _ => {
                    bad.push(format!(
                        "{sel:?} ({twin:?}): ours {ours:?}, promtool {theirs:?}"
                    ));
                    continue;
                }
            };
            n[class] += 1;
        }
        println!(
            "{} selectors: both accept {}, both reject {}, {} agree through their 2.42 \
             twins (quoted names); intended differences: {} empty, {} metric name set twice, \
             {} quoted names; {} disagreements",
            cases.len(),
            n[accepted],
            n[rejected],
            n[twins],
            n[empty],
            n[twice],
            n[quoted],
            bad.len()
        );
        assert!(bad.is_empty(), "disagreements:\n{}", bad.join("\n"));
    }

    /// Hand-written selectors for [`differential_promtool`].
    const DIFF_CASES: &[&str] = &[
        "",
        " ",
        "# c",
        "up",
        "up # c",
        "up#c\n",
        " up ",
        "up{}",
        "{}",
        " { } ",
        "{,}",
        "up{,}",
        ":",
        "::",
        "a:b",
        ":a",
        "_",
        "__name__",
        "a1",
        "1a",
        ".5",
        "5m",
        "0x1f",
        "inf",
        "Inf",
        "NaN",
        "nan",
        "infinity",
        "bool",
        "BOOL",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "atan2",
        "and",
        "or",
        "unless",
        "sum",
        "avg",
        "count",
        "min",
        "max",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "count_values",
        "quantile",
        "offset",
        "by",
        "without",
        "start",
        "end",
        "limitk",
        "limit_ratio",
        "sum{}",
        "by{a='b'}",
        "offset {a='b'}",
        "bool{a='b'}",
        "up{bool='x',on='y',inf='z',nan='w',atan2='v'}",
        r#"{a="b"}"#,
        r#"{a="b",}"#,
        r#"{a="b",,}"#,
        r#"{a="b" , c!="d" , }"#,
        r#"{a=~"b"}"#,
        r#"{a!~"b"}"#,
        r#"{a=="b"}"#,
        r#"{a~"b"}"#,
        r#"{a!"b"}"#,
        r#"{a=~~"b"}"#,
        r#"{a= ~"b"}"#,
        r#"{a ! = "b"}"#,
        r#"{a="b"}}"#,
        r#"{{a="b"}"#,
        r#"{a="b""#,
        "{a",
        "{a=",
        "{a!",
        "{",
        "}",
        "up}",
        "up{a='b'}{c='d'}",
        "up{a='b'} offset 5m",
        "up[5m]",
        "up @ 1",
        "up or down",
        "(up)",
        "up)",
        "-up",
        "up{a:b='c'}",
        "up{a.b='c'}",
        "up{1='c'}",
        "up{a='c'} # trailing",
        "up{a='c' # inside\n}",
        "up # x\n{a='c'}",
        "up\r\n{\ta\r=\n'c'\t}",
        "up{a='c'}\u{a0}",
        "up{a=\u{a0}'c'}",
        "{a='\u{fffd}'}",
        "{a=`\u{fffd}`}",
        "{a='\\ufffd'}",
        r#"{a="\a\b\f\n\r\t\v\\\""}"#,
        r#"{a='\''}"#,
        r#"{a="\'"}"#,
        r#"{a='\"'}"#,
        r#"{a="\q"}"#,
        r#"{a="\0"}"#,
        r#"{a="\000"}"#,
        r#"{a="\377"}"#,
        r#"{a="\400"}"#,
        r#"{a="\08"}"#,
        r#"{a="\x"}"#,
        r#"{a="\x4"}"#,
        r#"{a="\x4g"}"#,
        r#"{a="\xff"}"#,
        r#"{a="\u00e9"}"#,
        r#"{a="\u00e"}"#,
        r#"{a="\ud800"}"#,
        r#"{a="\udfff"}"#,
        r#"{a="\ue000"}"#,
        r#"{a="\U0010ffff"}"#,
        r#"{a="\U00110000"}"#,
        r#"{a="\UFFFFFFFF"}"#,
        r#"{a="\U0001F600"}"#,
        r#"{a="\"#,
        "{a=\"\\\n\"}",
        "{a=\"x\ny\"}",
        "{a='x\ny'}",
        "{a=`x\ny`}",
        "{a=`x",
        "{a=\"x\ry\"}",
        "{a=\"tab\there\"}",
        "{a='é✓😀日本'}",
        r#"{a=~"(\xff)"}"#,
        r#"{a="(\xff)"}"#,
        r#"{a=~"("}"#,
        r#"{a=~"a**"}"#,
        r#"{a=~"[a"}"#,
        r#"{a=~"a{2,1}"}"#,
        r#"{a=~""}"#,
        r#"{a=~".*"}"#,
        r#"{a=~"a|b|c"}"#,
        r#"{a=~"\\d+"}"#,
        r#"{a=~"(?i)x"}"#,
        r#"{a=~"[[:alpha:]]+"}"#,
        r#"{a=~"\\pL"}"#,
        r#"{a=""}"#,
        r#"{a!=""}"#,
        r#"up{__name__="x"}"#,
        r#"up{__name__=~"x"}"#,
        r#"{__name__="x"}"#,
        r#"{__name__="x",__name__="y"}"#,
        r#"{"a"}"#,
        r#"{"a"="b"}"#,
        r#"up{"a"="b"}"#,
        "{'a'}",
        "{`a`}",
        r#""up""#,
        r#""up"{}"#,
        r#"up "x""#,
        "up\x0c",
        "{\x0ba='b'}",
        "up # é😀}\n{a='b'}",
        "{a=\"b\" # }\n}",
        "{a=\"#\"}",
        "inf:x",
        "Infinity",
        "{a='b'}\u{feff}",
        "\u{feff}up",
        "up.5",
        "up{a='b'}#",
        "{a=\"b\"}\n",
        "up{a='\r'}",
        "{_=''}",
        "{__name__=''}",
        "up{}}",
        "{a='b'}{",
    ];

    /// A small deterministic generator of selectors for [`differential_promtool`].
    struct Rng(u64);

    /// Characters for junk selectors and mutations.
    const JUNK: &[char] = &[
        'a', 'b', 'x', 'u', '_', ':', '1', '0', '{', '}', '=', '~', '!', ',', '"', '\'', '`', '\\',
        '#', '\n', ' ', '\t', 'é', '.', '%', '(', '[', '-',
    ];

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[self.below(from.len())]
        }

        /// Whitespace and comments, often nothing.
        fn trivia(&mut self) -> &'static str {
            self.pick(&["", "", "", " ", "\t", "\n", " # c\n", "#\r", "  \r\n "])
        }

        fn string(&mut self) -> String {
            const PIECES: &[&str] = &[
                "a",
                "b.c",
                " ",
                "é",
                "😀",
                "\\n",
                "\\t",
                "\\\\",
                "\\x41",
                "\\xff",
                "\\101",
                "\\377",
                "\\u00e9",
                "\\U0001F600",
                "\\a",
                "\\v",
                "*",
                "|",
                ".*",
                "\\d",
                "(",
                ")",
                "[",
                "'",
                "\"",
                "`",
                "\\q",
                "\\400",
                "\\ud800",
                "\\x4",
                "#",
                "{",
                "}",
            ];
            let quote = self.pick(&['"', '"', '\'', '`']);
            let mut s = String::from(quote);
            for _ in 0..self.below(4) {
                s.push_str(self.pick(PIECES));
            }
            s.push(quote);
            s
        }

        fn name(&mut self) -> &'static str {
            self.pick(&[
                "job", "a", "_x", "__name__", "bool", "on", "sum", "offset", "inf", "A1_b",
            ])
        }

        /// A mostly well-formed selector and its 2.42 twin.
        fn selector(&mut self) -> (String, String) {
            let (mut s, mut twin) = (String::new(), String::new());
            let mut both = |s1: &str, s2: &str| {
                s.push_str(s1);
                twin.push_str(s2);
            };
            let t = self.trivia();
            both(t, t);
            let metric = self.below(3) > 0;
            if metric {
                let m = self.pick(&[
                    "up", "a:b", ":", "sum", "by", "Offset", "bool", "Inf", "x_1", "start",
                ]);
                both(m, m);
                let t = self.trivia();
                both(t, t);
            }
            if !metric || self.below(3) > 0 {
                both("{", "{");
                let n = self.below(4);
                for i in 0..n {
                    let t = self.trivia();
                    both(t, t);
                    let op = self.pick(&["=", "!=", "=~", "!~"]);
                    let value = self.string();
                    let t = self.trivia();
                    match self.below(6) {
                        0 => {
                            // 3.x: a bare quoted metric name.
                            let q = self.pick(&["\"", "'", "`"]);
                            let v = self.pick(&["up", "my_metric", ""]);
                            both(&format!("{q}{v}{q}"), &format!("__name__={q}{v}{q}"));
                        }
                        1 => {
                            // 3.x: a quoted label name.
                            let l = self.name();
                            let q = self.pick(&["\"", "'", "`"]);
                            both(&format!("{q}{l}{q}{t}{op}"), &format!("{l}{t}{op}"));
                            both(&value, &value);
                        }
                        _ => {
                            let l = self.name();
                            both(&format!("{l}{t}{op}"), &format!("{l}{t}{op}"));
                            let t = self.trivia();
                            both(t, t);
                            both(&value, &value);
                        }
                    }
                    let t = self.trivia();
                    both(t, t);
                    if i + 1 < n || self.below(3) == 0 {
                        both(",", ",");
                    }
                }
                let t = self.trivia();
                both(t, t);
                both("}", "}");
            }
            let t = self.trivia();
            both(t, t);
            (s, twin)
        }
    }

    mod fuzz {
        use super::super::Selector;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in "\\PC*") {
                let _ = Selector::parse(&s);
            }

            #[test]
            fn near_misses_never_panic_and_round_trip(
                s in "[a{}=~!,'\"`\\\\xuU0-9fF#\n é_:.]{0,24}"
            ) {
                match Selector::parse(&s) {
                    Ok(sel) => {
                        let again = Selector::parse(&sel.to_string());
                        prop_assert!(again.is_ok(), "{:?} -> {}", s, sel);
                        prop_assert_eq!(again.unwrap().to_string(), sel.to_string());
                    }
                    Err(e) => {
                        prop_assert!(e.offset() <= s.len());
                        prop_assert!(s.is_char_boundary(e.offset()));
                    }
                }
            }
        }
    }
}
