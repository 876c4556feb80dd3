//! Go (RE2) regex syntax translated to the `regex` crate's syntax.
//!
//! Prometheus matches `=~`/`!~` with Go's `regexp`, anchored as `^(?s:re)$`; we use the
//! `regex` crate. The two syntaxes look alike but differ in many details, so [`translate`]
//! re-reads the pattern with a small hand-written scanner that follows Go's
//! `regexp/syntax` parser (Perl flags) token by token. It refuses what Go refuses, with Go's
//! message word for word, and writes everything it accepts in an explicit form that means the
//! same to the `regex` crate: a self-contained group body for `^(?s:…)$`. Groups become
//! non-capturing, since only whether a value matches is ever asked.
//!
//! What differs, and how it is written:
//! - `\d \s \w`, their negations (in and out of classes), `\b \B` and `[[:name:]]` are ASCII
//!   in Go: explicit ASCII ranges and `(?-u:\b)`. Go's `\s` is `[\t\n\f\r ]` (no `\v`),
//!   `[[:space:]]` has `\v`.
//! - In a class Go reads `[` (unless it opens `[:name:]`), `&&`, `--` and `~~` literally;
//!   `regex` nests classes and has set operators. Every special character is escaped.
//! - `\Q…\E`; octal `\0`, `\12`, `\123` (a lone `\1`–`\7` is refused as a
//!   back-reference); `\x{…}` up to U+10FFFF, surrogates included: they match nothing.
//! - `\pL`, `\p{Greek}`, `\p{^Greek}`, `\PL`: only Go's names (general categories, scripts,
//!   `Any`), written `\p{gc=…}` / `\p{sc=…}` because `regex` also knows other properties
//!   under the same names. Go's `C` lacks the unassigned code points; `Cs` is empty in UTF-8.
//! - Flags: only `i m s U`; no `(?<name>`, look-arounds or other Perl syntax. Go allows
//!   `(?)`, `(?ii)`, `(?i-i)`, which `regex` refuses, so a flag change is written as the
//!   difference it makes, just before the next atom: a repetition after `(?i)` still applies
//!   to the atom before it, as in Go.
//! - Repetition: counts above 1000, `min > max`, a product of nested counts above 1000
//!   (`(a{100}){20}`), stacked operators (`a**`, `a{2}{3}`) and missing operands are refused
//!   as in Go; `a*(?i)*` is legal in Go and becomes `(?:a*)*`; an assertion gets a group
//!   before a repetition; `{,n}` and `{01}` are literal text in Go.
//! - `regex-syntax` 0.8 negates a class holding U+D7FF and U+E000 in separate ranges wrongly
//!   (see [`push_class`]); such negated classes are written as differences.
//!
//! Deliberate and residual differences:
//! - The pattern is parsed on its own, as Prometheus 3 does before it compiles it: an
//!   unbalanced `)` is refused even where `^(?s:re)$` would swallow it (`a)|(b`), and an
//!   unterminated `\Q` runs to the end of the pattern, where the wrapping would swallow the
//!   closing `)$`. Prometheus 3 then recompiles the simplified pattern, in which `a{0,1000}`
//!   nests too deeply for Go; like the plain wrapping, we accept it.
//! - Unicode tables: Go 1.19 has Unicode 13, `regex` a newer version; classes and case
//!   folding differ on code points assigned or changed since.
//! - A surrogate escape matches nothing; Go's literal-prefix shortcut lets `\x{D800}` at the
//!   start of a pattern match U+FFFD.
//! - Limits: Go refuses programs over ~3.3M instructions and trees deeper than 1000; here only
//!   more than 1000 nested groups or stacked repetitions are refused (with Go's message). The
//!   `regex` crate has tighter limits (nesting 250, compiled size 10 MiB, e.g. `\pL{1000}`),
//!   which its builder reports when the caller compiles the translation.
//! - Go 1.22 added `(?<name>re)`; this follows Go 1.19, which refuses it.

use std::fmt::Write as _;

/// A Go regex the translation refuses, as Go's `regexp.Compile` would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoRegexError {
    /// Byte offset in the pattern.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

// Go's `regexp/syntax` error codes, for messages in Go's words.
const INVALID_CHAR_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const UNEXPECTED_PAREN: &str = "unexpected )";
const NESTING_DEPTH: &str = "expression nests too deeply";

/// Go's limit on repeat counts, and on their product when repetitions nest.
const MAX_REPEAT: u32 = 1000;
/// Deepest group nesting or chain of stacked repetitions accepted (Go: tree height 1000).
/// Keeps the work linear-ish and the `regex` parser's stack bounded.
const MAX_DEPTH: usize = 1000;

/// A class matching nothing, and the items of a class matching everything.
const EMPTY_CLASS: &str = r"[^\x{0}-\x{10FFFF}]";
const ALL_ITEMS: &str = r"\x{0}-\x{10FFFF}";

/// Go's Perl classes (`\d \s \w`) and POSIX classes (`[:alpha:]`), as inclusive ranges.
const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const PERL_SPACE: &[(u32, u32)] = &[(0x9, 0xa), (0xc, 0xd), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)];
const POSIX: &[(&str, &[(u32, u32)])] = &[
    ("alnum", &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)]),
    ("alpha", &[(0x41, 0x5a), (0x61, 0x7a)]),
    ("ascii", &[(0x0, 0x7f)]),
    ("blank", &[(0x9, 0x9), (0x20, 0x20)]),
    ("cntrl", &[(0x0, 0x1f), (0x7f, 0x7f)]),
    ("digit", DIGIT),
    ("graph", &[(0x21, 0x7e)]),
    ("lower", &[(0x61, 0x7a)]),
    ("print", &[(0x20, 0x7e)]),
    (
        "punct",
        &[(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
    ),
    ("space", &[(0x9, 0xd), (0x20, 0x20)]),
    ("upper", &[(0x41, 0x5a)]),
    ("word", WORD),
    ("xdigit", &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)]),
];

/// Go 1.19's `unicode.Categories` (`C` and `Cs` are special-cased).
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// Go 1.19's `unicode.Scripts` (Unicode 13), separated by spaces.
const SCRIPTS: &str =
    "Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak \
    Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian \
    Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot \
    Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan \
    Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi \
    Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic \
    Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana \
    Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu \
    Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean \
    Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive \
    Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari \
    New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian \
    Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian \
    Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician \
    Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting \
    Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa \
    Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta \
    Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square";

/// Translates a Go `regexp/syntax` pattern (Perl flags, inside `(?s:…)`) into a pattern for
/// the `regex` crate that matches the same strings when wrapped as `^(?s:…)$`, or says why
/// Go would refuse it.
pub(crate) fn translate(pattern: &str) -> Result<String, GoRegexError> {
    Translator {
        pat: pattern,
        pos: 0,
        out: String::with_capacity(pattern.len() + 8),
        flags: Flags::TOP,
        emitted: Flags::TOP,
        frames: Vec::new(),
        atom: None,
        last_repeat: None,
    }
    .run()
}

fn error(code: &str, offset: usize, expr: &str) -> GoRegexError {
    GoRegexError {
        offset,
        message: format!("{code}: `{expr}`"),
    }
}

/// The flags Go and `regex` share (Go's `OneLine` is the opposite of `m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    ungreedy: bool,
}

impl Flags {
    /// Inside `(?s:…)`.
    const TOP: Flags = Flags {
        fold: false,
        multi_line: false,
        dot_nl: true,
        ungreedy: false,
    };

    fn letters(self) -> [(char, bool); 4] {
        [
            ('i', self.fold),
            ('m', self.multi_line),
            ('s', self.dot_nl),
            ('U', self.ungreedy),
        ]
    }
}

/// An open group.
#[derive(Debug)]
struct Frame {
    /// Offset of its `(` in the pattern.
    open: usize,
    /// Offset of its `(?:` in the output.
    out_start: usize,
    /// Go's and `regex`'s flags before the group, restored by its `)`.
    flags: Flags,
    emitted: Flags,
    /// The largest repeat weight among its finished atoms.
    weight: u32,
}

/// The last atom written: what a repetition operator applies to.
#[derive(Debug)]
struct Atom {
    /// Offset in the output (after any flag directive).
    start: usize,
    /// A single literal, class, `.` or group, which takes an operator as it is.
    bare: bool,
    /// Go's measure of nested counted repetition (see [`repeat_weight`]).
    weight: u32,
    /// Repetition operators stacked on it.
    depth: usize,
}

/// A character set from a class escape, as `regex` class items.
struct Set {
    negated: bool,
    items: String,
}

struct Translator<'p> {
    pat: &'p str,
    /// Next byte to read in `pat`.
    pos: usize,
    out: String,
    /// Go's flags at `pos`.
    flags: Flags,
    /// The flags `regex` applies at the end of `out`; synced before each atom.
    emitted: Flags,
    /// Open groups, innermost last.
    frames: Vec<Frame>,
    /// The repetition operand, if the previous token left one (not after `(`, `|`).
    atom: Option<Atom>,
    /// Where the previous token started, if it was a repetition operator.
    last_repeat: Option<usize>,
}

impl Translator<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.pat.as_bytes().get(at).copied()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.pat.get(at..).and_then(|s| s.chars().next())
    }

    fn run(mut self) -> Result<String, GoRegexError> {
        while let Some(c) = self.char_at(self.pos) {
            let start = self.pos;
            let mut repeat = false;
            match c {
                '(' => self.open_group()?,
                ')' => self.close_group()?,
                '|' => {
                    self.pos += 1;
                    self.end_atom();
                    self.out.push('|');
                }
                '^' | '$' | '.' => {
                    self.pos += 1;
                    let at = self.begin_atom();
                    self.out.push(c);
                    self.set_atom(at, c == '.', 0);
                }
                '[' => self.class()?,
                '*' | '+' | '?' => {
                    self.pos += 1;
                    self.repeat(start, &c.to_string(), None)?;
                    repeat = true;
                }
                '{' => match self.repeat_braces() {
                    Some((min, max, end)) => {
                        self.pos = end;
                        let text = &self.pat[start..end];
                        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || min > m) {
                            return Err(error(INVALID_REPEAT_SIZE, start, text));
                        }
                        let op = match max {
                            Some(m) if m == min => format!("{{{min}}}"),
                            Some(m) => format!("{{{min},{m}}}"),
                            None => format!("{{{min},}}"),
                        };
                        self.repeat(start, &op, Some((min, max)))?;
                        repeat = true;
                    }
                    None => {
                        self.pos += 1;
                        self.literal('{' as u32);
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.pos += c.len_utf8();
                    self.literal(c as u32);
                }
            }
            self.last_repeat = repeat.then_some(start);
        }
        self.end_atom();
        if let Some(frame) = self.frames.last() {
            return Err(error(MISSING_PAREN, frame.open, self.pat));
        }
        Ok(self.out)
    }

    /// Folds the finished atom's weight into its group (the top level needs none).
    fn end_atom(&mut self) {
        if let (Some(atom), Some(frame)) = (self.atom.take(), self.frames.last_mut()) {
            frame.weight = frame.weight.max(atom.weight);
        }
    }

    /// Ends the previous atom and writes the flag changes the next one needs; returns where
    /// the next atom starts in the output.
    fn begin_atom(&mut self) -> usize {
        self.end_atom();
        if self.emitted != self.flags {
            let (mut on, mut off) = (String::new(), String::new());
            for ((c, want), (_, have)) in
                self.flags.letters().into_iter().zip(self.emitted.letters())
            {
                if want != have {
                    if want {
                        on.push(c)
                    } else {
                        off.push(c)
                    }
                }
            }
            let dash = if off.is_empty() { "" } else { "-" };
            let _ = write!(self.out, "(?{on}{dash}{off})");
            self.emitted = self.flags;
        }
        self.out.len()
    }

    fn set_atom(&mut self, start: usize, bare: bool, weight: u32) {
        self.atom = Some(Atom {
            start,
            bare,
            weight,
            depth: 0,
        });
    }

    /// A literal code point; surrogates (only from `\x{D800}` and the like) match nothing.
    fn literal(&mut self, c: u32) {
        let at = self.begin_atom();
        match char::from_u32(c) {
            Some(c) => push_char(&mut self.out, c),
            None => self.out.push_str(EMPTY_CLASS),
        }
        self.set_atom(at, true, 0);
    }

    /// Writes a class escape (`\d`, `\pL`, …) as an atom.
    fn set(&mut self, set: &Set) {
        let at = self.begin_atom();
        push_class(&mut self.out, set, false);
        self.set_atom(at, true, 0);
    }

    /// Applies a repetition operator (`op`, as `regex` writes it) that starts at `before` and
    /// ends at `self.pos`; `counts` for `{min,max}`.
    fn repeat(
        &mut self,
        before: usize,
        op: &str,
        counts: Option<(u32, Option<u32>)>,
    ) -> Result<(), GoRegexError> {
        let lazy = self.byte(self.pos) == Some(b'?');
        if lazy {
            self.pos += 1;
        }
        if let Some(prev) = self.last_repeat {
            return Err(error(INVALID_REPEAT_OP, prev, &self.pat[prev..self.pos]));
        }
        let text = &self.pat[before..self.pos];
        let Some(atom) = self.atom.as_mut() else {
            return Err(error(MISSING_REPEAT_ARGUMENT, before, text));
        };
        if let Some((min, max)) = counts {
            atom.weight = repeat_weight(min, max, atom.weight);
            if (min >= 2 || max.is_some_and(|m| m >= 2)) && atom.weight > MAX_REPEAT {
                return Err(error(INVALID_REPEAT_SIZE, before, text));
            }
        }
        atom.depth += 1;
        if atom.depth > MAX_DEPTH {
            return Err(error(NESTING_DEPTH, before, self.pat));
        }
        if !atom.bare {
            self.out.insert_str(atom.start, "(?:");
            self.out.push(')');
        }
        atom.bare = false;
        self.out.push_str(op);
        if lazy {
            self.out.push('?');
        }
        Ok(())
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at `pos` as Go does; `None` means `{` is a literal.
    /// Counts too large to matter come back as `u32::MAX`.
    fn repeat_braces(&self) -> Option<(u32, Option<u32>, usize)> {
        let (min, mut t) = self.int(self.pos + 1)?;
        let max = if self.byte(t)? != b',' {
            Some(min)
        } else if self.byte(t + 1)? == b'}' {
            t += 1;
            None
        } else {
            let (max, end) = self.int(t + 1)?;
            t = end;
            Some(max)
        };
        (self.byte(t)? == b'}').then_some((min, max, t + 1))
    }

    /// A decimal number without leading zeros, saturating; and where it ends.
    fn int(&self, at: usize) -> Option<(u32, usize)> {
        let digits = self.pat.as_bytes().get(at..)?;
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || (n > 1 && digits[0] == b'0') {
            return None;
        }
        let value = digits[..n].iter().fold(0u32, |v, &d| {
            v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        });
        Some((value, at + n))
    }

    fn push_frame(&mut self, open: usize, restore: Flags) -> Result<(), GoRegexError> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(error(NESTING_DEPTH, open, self.pat));
        }
        self.end_atom();
        self.frames.push(Frame {
            open,
            out_start: self.out.len(),
            flags: restore,
            emitted: self.emitted,
            weight: 0,
        });
        self.out.push_str("(?:");
        Ok(())
    }

    /// `(`, `(?:`, `(?P<name>`, `(?flags)` or `(?flags:`.
    fn open_group(&mut self) -> Result<(), GoRegexError> {
        let start = self.pos;
        let rest = &self.pat[start..];
        if self.byte(start + 1) != Some(b'?') {
            self.pos += 1;
            return self.push_frame(start, self.flags);
        }
        if rest.len() > 4 && rest.as_bytes()[2] == b'P' && rest.as_bytes()[3] == b'<' {
            let Some(end) = rest.find('>') else {
                return Err(error(INVALID_NAMED_CAPTURE, start, rest));
            };
            let name = &rest[4..end];
            if name.is_empty() || !name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()) {
                return Err(error(INVALID_NAMED_CAPTURE, start, &rest[..=end]));
            }
            self.pos = start + end + 1;
            return self.push_frame(start, self.flags);
        }
        let mut t = start + 2;
        let mut flags = self.flags;
        let (mut negate, mut saw_flag) = (false, false);
        while let Some(c) = self.char_at(t) {
            t += c.len_utf8();
            let on = !negate;
            match c {
                'i' => flags.fold = on,
                'm' => flags.multi_line = on,
                's' => flags.dot_nl = on,
                'U' => flags.ungreedy = on,
                '-' if !negate => {
                    negate = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if !negate || saw_flag => {
                    self.pos = t;
                    if c == ':' {
                        self.push_frame(start, self.flags)?;
                    }
                    self.flags = flags;
                    return Ok(());
                }
                _ => break,
            }
            saw_flag = true;
        }
        Err(error(INVALID_PERL_OP, start, &self.pat[start..t]))
    }

    fn close_group(&mut self) -> Result<(), GoRegexError> {
        self.end_atom();
        let Some(frame) = self.frames.pop() else {
            return Err(error(UNEXPECTED_PAREN, self.pos, self.pat));
        };
        self.pos += 1;
        self.out.push(')');
        self.flags = frame.flags;
        self.emitted = frame.emitted;
        self.set_atom(frame.out_start, true, frame.weight);
        Ok(())
    }

    /// A backslash outside a class.
    fn escape(&mut self) -> Result<(), GoRegexError> {
        let start = self.pos;
        let assertion = match self.byte(start + 1) {
            Some(b'A') => Some(r"\A"),
            Some(b'z') => Some(r"\z"),
            Some(b'b') => Some(r"(?-u:\b)"),
            Some(b'B') => Some(r"(?-u:\B)"),
            Some(b'C') => return Err(error(INVALID_ESCAPE, start, r"\C")),
            Some(b'Q') => {
                let body = &self.pat[start + 2..];
                let (text, len) = match body.find(r"\E") {
                    Some(end) => (&body[..end], end + 2),
                    None => (body, body.len()),
                };
                self.pos = start + 2 + len;
                for c in text.chars() {
                    self.literal(c as u32);
                }
                return Ok(());
            }
            _ => None,
        };
        if let Some(text) = assertion {
            self.pos = start + 2;
            let at = self.begin_atom();
            self.out.push_str(text);
            // `(?-u:\b)` is a group already.
            self.set_atom(at, text.starts_with('('), 0);
            return Ok(());
        }
        if let Some((set, end)) = self.class_escape(start)? {
            self.pos = end;
            self.set(&set);
            return Ok(());
        }
        let (c, end) = self.parse_escape(start)?;
        self.pos = end;
        self.literal(c);
        Ok(())
    }

    /// `\pN`, `\p{Name}`, `\PN`, `\P{^Name}`, `\d`, `\W`, … at `at`, in or out of a class.
    fn class_escape(&self, at: usize) -> Result<Option<(Set, usize)>, GoRegexError> {
        if self.byte(at) != Some(b'\\') {
            return Ok(None);
        }
        let perl = |negated, ranges| Ok(Some((ranges_set(negated, ranges), at + 2)));
        match self.byte(at + 1) {
            Some(b'd') => perl(false, DIGIT),
            Some(b'D') => perl(true, DIGIT),
            Some(b's') => perl(false, PERL_SPACE),
            Some(b'S') => perl(true, PERL_SPACE),
            Some(b'w') => perl(false, WORD),
            Some(b'W') => perl(true, WORD),
            Some(b @ (b'p' | b'P')) => {
                let mut negated = b == b'P';
                let t = at + 2;
                let (name, end) = match self.char_at(t) {
                    None => ("", t),
                    Some('{') => match self.pat[t..].find('}') {
                        Some(close) => (&self.pat[t + 1..t + close], t + close + 1),
                        None => return Err(error(INVALID_CHAR_RANGE, at, &self.pat[at..])),
                    },
                    Some(c) => (&self.pat[t..t + c.len_utf8()], t + c.len_utf8()),
                };
                let name = match name.strip_prefix('^') {
                    Some(name) => {
                        negated = !negated;
                        name
                    }
                    None => name,
                };
                let items = unicode_items(name)
                    .ok_or_else(|| error(INVALID_CHAR_RANGE, at, &self.pat[at..end]))?;
                Ok(Some((Set { negated, items }, end)))
            }
            _ => Ok(None),
        }
    }

    /// Go's `parseEscape` for the backslash at `at`: the code point (maybe a surrogate) and
    /// where the escape ends.
    fn parse_escape(&self, at: usize) -> Result<(u32, usize), GoRegexError> {
        let mut t = at + 1;
        let Some(c) = self.char_at(t) else {
            return Err(error(TRAILING_BACKSLASH, at, ""));
        };
        t += c.len_utf8();
        let bad = |t: usize| Err(error(INVALID_ESCAPE, at, &self.pat[at..t]));
        let is_octal = |b: Option<u8>| matches!(b, Some(b'0'..=b'7'));
        match c {
            // A lone `\1`..`\7` would be a back-reference.
            '1'..='7' if !is_octal(self.byte(t)) => bad(t),
            '0'..='7' => {
                let mut r = c as u32 - '0' as u32;
                for _ in 1..3 {
                    match self.byte(t) {
                        Some(d @ b'0'..=b'7') => {
                            r = r * 8 + u32::from(d - b'0');
                            t += 1;
                        }
                        _ => break,
                    }
                }
                Ok((r, t))
            }
            'x' => {
                let Some(first) = self.char_at(t) else {
                    return bad(t);
                };
                t += first.len_utf8();
                if first != '{' {
                    let second = self.char_at(t);
                    t += second.map_or(0, char::len_utf8);
                    return match (first.to_digit(16), second.and_then(|c| c.to_digit(16))) {
                        (Some(x), Some(y)) => Ok((x * 16 + y, t)),
                        _ => bad(t),
                    };
                }
                let (mut r, mut digits) = (0u32, 0);
                loop {
                    let Some(d) = self.char_at(t) else {
                        return bad(t);
                    };
                    t += d.len_utf8();
                    if d == '}' {
                        break;
                    }
                    let Some(v) = d.to_digit(16) else {
                        return bad(t);
                    };
                    r = r * 16 + v;
                    if r > 0x10FFFF {
                        return bad(t);
                    }
                    digits += 1;
                }
                if digits == 0 {
                    return bad(t);
                }
                Ok((r, t))
            }
            'a' => Ok((0x07, t)),
            'f' => Ok((0x0C, t)),
            'n' => Ok((0x0A, t)),
            'r' => Ok((0x0D, t)),
            't' => Ok((0x09, t)),
            'v' => Ok((0x0B, t)),
            // Any ASCII punctuation, space or control character stands for itself.
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, t)),
            _ => bad(t),
        }
    }

    /// A class member at `at`: an escape or a character.
    fn class_char(&self, at: usize) -> Result<(u32, usize), GoRegexError> {
        match self.char_at(at) {
            Some('\\') => self.parse_escape(at),
            Some(c) => Ok((c as u32, at + c.len_utf8())),
            None => Err(error(MISSING_BRACKET, at, &self.pat[at..])),
        }
    }

    /// `[…]`, read as Go does and written with every special escaped.
    fn class(&mut self) -> Result<(), GoRegexError> {
        let start = self.pos;
        let mut t = start + 1;
        let negated = self.byte(t) == Some(b'^');
        if negated {
            t += 1;
        }
        let mut items = String::new();
        // Whether the items may hold U+D7FF and U+E000 (see `push_class`).
        let mut wide = false;
        let mut first = true;
        loop {
            let Some(b) = self.byte(t) else {
                return Err(error(MISSING_BRACKET, start, &self.pat[start..]));
            };
            if b == b']' && !first {
                break;
            }
            first = false;
            if b == b'[' && self.byte(t + 1) == Some(b':') && t + 2 < self.pat.len() {
                if let Some(close) = self.pat[t + 2..].find(":]") {
                    let end = t + 2 + close + 2;
                    let name = &self.pat[t..end];
                    let set = posix_set(name).ok_or_else(|| error(INVALID_CHAR_RANGE, t, name))?;
                    push_set(&mut items, &set);
                    t = end;
                    continue;
                }
            }
            if let Some((set, end)) = self.class_escape(t)? {
                // Only Unicode classes reach beyond ASCII.
                wide |= set.items.contains(r"\p") || set.items == ALL_ITEMS;
                push_set(&mut items, &set);
                t = end;
                continue;
            }
            let range = t;
            let (lo, end) = self.class_char(t)?;
            t = end;
            let mut hi = lo;
            if self.byte(t) == Some(b'-') && self.byte(t + 1).is_some_and(|b| b != b']') {
                (hi, t) = self.class_char(t + 1)?;
                if hi < lo {
                    return Err(error(INVALID_CHAR_RANGE, range, &self.pat[range..t]));
                }
            }
            wide |= hi >= 0xD7FF;
            push_range(&mut items, lo, hi);
        }
        self.pos = t + 1;
        let at = self.begin_atom();
        push_class(&mut self.out, &Set { negated, items }, wide);
        self.set_atom(at, true, 0);
        Ok(())
    }
}

/// Go's measure of how many copies a counted repetition makes (`regexp/syntax`'s
/// `repeatIsValid`): the largest product of counts along any path, where `{0}` cuts the
/// path and `{0,}` does not count. Go refuses `{n,m}` with `n` or `m` ≥ 2 above 1000.
fn repeat_weight(min: u32, max: Option<u32>, inner: u32) -> u32 {
    let m = match max {
        Some(0) => return 0,
        Some(m) => m,
        None => min,
    };
    if m == 0 {
        inner
    } else {
        m.saturating_mul(inner.max(1))
    }
}

/// The items for a Go Unicode class name, `None` if Go does not know it.
fn unicode_items(name: &str) -> Option<String> {
    Some(match name {
        "Any" => ALL_ITEMS.to_string(),
        // Go's `C` is `Cc|Cf|Co|Cs`; `regex`'s also has the unassigned code points.
        "C" => r"\p{gc=Cc}\p{gc=Cf}\p{gc=Co}".to_string(),
        // Surrogates never occur in UTF-8 text (and `regex` has no `Cs`).
        "Cs" => String::new(),
        _ if CATEGORIES.contains(&name) => format!(r"\p{{gc={name}}}"),
        // `sc=`: Go means the Script property, never Script_Extensions.
        _ if !name.is_empty() && SCRIPTS.split(' ').any(|s| s == name) => {
            format!(r"\p{{sc={name}}}")
        }
        _ => return None,
    })
}

/// `[:alpha:]` or `[:^alpha:]`.
fn posix_set(name: &str) -> Option<Set> {
    let inner = name.strip_prefix("[:")?.strip_suffix(":]")?;
    let (negated, inner) = match inner.strip_prefix('^') {
        Some(inner) => (true, inner),
        None => (false, inner),
    };
    let (_, ranges) = POSIX.iter().find(|(n, _)| *n == inner)?;
    Some(ranges_set(negated, ranges))
}

fn ranges_set(negated: bool, ranges: &[(u32, u32)]) -> Set {
    let mut items = String::new();
    for &(lo, hi) in ranges {
        push_range(&mut items, lo, hi);
    }
    Set { negated, items }
}

/// Adds a set to the items of an enclosing class.
fn push_set(items: &mut String, set: &Set) {
    match (set.negated, set.items.is_empty()) {
        (false, _) => items.push_str(&set.items),
        (true, true) => items.push_str(ALL_ITEMS),
        (true, false) => {
            let _ = write!(items, "[^{}]", set.items);
        }
    }
}

/// Writes a set as a class atom.
///
/// `regex-syntax` 0.8 negates a class holding U+D7FF and U+E000 in separate ranges into one
/// with the range U+D7FF–U+E000 (it steps over the surrogate gap when it computes the gaps),
/// so `[^\x{D7FF}\x{E000}]` would match both. When `wide` says the items may hold both, the
/// negation is written as a difference, which it computes correctly.
fn push_class(out: &mut String, set: &Set, wide: bool) {
    let _ = match (set.negated, set.items.is_empty()) {
        (false, true) => write!(out, "{EMPTY_CLASS}"),
        (false, false) => write!(out, "[{}]", set.items),
        (true, true) => write!(out, "[{ALL_ITEMS}]"),
        (true, false) if wide => write!(out, "[{ALL_ITEMS}--[{}]]", set.items),
        (true, false) => write!(out, "[^{}]", set.items),
    };
}

/// Adds `lo-hi` to class items, without surrogates (`regex` cannot name them, and they never
/// occur in UTF-8 text). A range across them stays one range, as `regex` reads it.
fn push_range(items: &mut String, lo: u32, hi: u32) {
    let lo = if (0xD800..=0xDFFF).contains(&lo) {
        0xE000
    } else {
        lo
    };
    let hi = if (0xD800..=0xDFFF).contains(&hi) {
        0xD7FF
    } else {
        hi
    };
    let (Some(l), Some(h)) = (char::from_u32(lo), char::from_u32(hi)) else {
        return;
    };
    if l > h {
        return;
    }
    push_char(items, l);
    if l != h {
        items.push('-');
        push_char(items, h);
    }
}

/// Writes a literal character for `regex`, in or out of a class.
fn push_char(out: &mut String, c: char) {
    if regex_syntax::is_meta_character(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_control() {
        let _ = write!(out, r"\x{{{:X}}}", c as u32);
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `translate` then compile as the matcher does; `Err` holds Go's message.
    fn compile(pattern: &str) -> Result<regex::Regex, String> {
        let t = translate(pattern).map_err(|e| e.message)?;
        // The regex crate's default size limit (10 MiB) refuses some patterns Go accepts,
        // like `\pL{1000}`: a documented difference, not the translation's concern.
        regex::RegexBuilder::new(&format!("^(?s:{t})$"))
            .size_limit(1 << 30)
            .build()
            .map_err(|e| format!("regex crate refused {t:?} from {pattern:?}: {e}"))
    }

    /// Go's verdict on one pattern (see tools/goregex-oracle).
    #[derive(serde::Deserialize)]
    struct Vector {
        pattern: String,
        error: String,
        inputs: Vec<String>,
        matches: Vec<bool>,
    }

    /// What [`check_vectors`] found.
    #[derive(Debug, Default)]
    struct Stats {
        patterns: usize,
        /// Patterns Go accepts.
        valid: usize,
        /// Of those, how many the regex crate's default size limit refuses.
        too_big: usize,
        /// (pattern, input) pairs compared.
        compared: usize,
        disagreements: Vec<String>,
    }

    /// Checks every vector in a JSON-lines file against `translate`.
    fn check_vectors(text: &str) -> Stats {
        let mut st = Stats::default();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let v: Vector = serde_json::from_str(line).expect("vector line");
            let (line, p) = (n + 1, &v.pattern);
            st.patterns += 1;
            let bad = &mut st.disagreements;
            match (compile(p), v.error.is_empty()) {
                (Err(e), true) => bad.push(format!("line {line}: {p:?}: Go accepts, we: {e}")),
                (Ok(_), false) => {
                    bad.push(format!("line {line}: {p:?}: we accept, Go: {}", v.error))
                }
                (Err(e), false) => {
                    // Go's size and depth limits can fire before the error we find.
                    let limit = v.error.starts_with("regexp/syntax: internal error")
                        || v.error.starts_with(NESTING_DEPTH);
                    if e != v.error && !limit {
                        bad.push(format!(
                            "line {line}: {p:?}: message {e:?}, Go {:?}",
                            v.error
                        ));
                    }
                }
                (Ok(re), true) => {
                    st.valid += 1;
                    st.too_big += usize::from(regex::Regex::new(re.as_str()).is_err());
                    for (input, &want) in v.inputs.iter().zip(&v.matches) {
                        st.compared += 1;
                        if re.is_match(input) != want {
                            let t = translate(p).unwrap_or_default();
                            bad.push(format!(
                                "line {line}: {p:?} on {input:?}: Go says {want}, translated {t:?}"
                            ));
                        }
                    }
                }
            }
        }
        st
    }

    fn is_match(pattern: &str, input: &str) -> bool {
        compile(pattern)
            .unwrap_or_else(|e| panic!("{pattern:?}: {e}"))
            .is_match(input)
    }

    /// Asserts which of `inputs` the pattern matches, Go's answers being `want`.
    #[track_caller]
    fn check(pattern: &str, cases: &[(&str, bool)]) {
        for &(input, want) in cases {
            assert_eq!(is_match(pattern, input), want, "{pattern:?} on {input:?}");
        }
    }

    #[track_caller]
    fn refused(pattern: &str, offset: usize, message: &str) {
        let e = translate(pattern).expect_err(pattern);
        assert_eq!(
            (e.offset, e.message.as_str()),
            (offset, message),
            "{pattern:?}"
        );
    }

    #[test]
    fn translations() {
        for (go, rust) in [
            ("abc", "abc"),
            (r"a\.b", r"a\.b"),
            (r"\d+", "[0-9]+"),
            (r"[^\s]", r"[^\x{9}-\x{A}\x{C}-\x{D} ]"),
            (r"\bx", r"(?-u:\b)x"),
            (r"(a)|(?P<n>b)", "(?:a)|(?:b)"),
            (r"[a&&c~~-]", r"[a\&\&c\~\~\-]"),
            (r"\Qa.b\E+", r"a\.b+"),
            (r"\pL\p{Greek}", r"[\p{gc=L}][\p{sc=Greek}]"),
            ("a*(?i)+b", "(?:a*)+(?i)b"),
            ("(?i)(?i-i)(?)a", "a"),
            ("^*$", "(?:^)*$"),
            ("#{,3}", r"\#\{,3\}"),
        ] {
            assert_eq!(translate(go).as_deref(), Ok(rust), "{go:?}");
        }
    }

    #[test]
    fn perl_classes_are_ascii() {
        check(r"\d", &[("7", true), ("٣", false), ("a", false)]);
        check(r"\D", &[("٣", true), ("7", false)]);
        check(r"\w", &[("_", true), ("é", false), ("\u{212A}", false)]);
        check(r"\W", &[("é", true), ("a", false)]);
        check(
            r"\s",
            &[
                (" ", true),
                ("\t", true),
                ("\x0B", false),
                ("\u{A0}", false),
            ],
        );
        check(r"\S", &[("\x0B", true), ("\u{2003}", true), ("\n", false)]);
        check(r"[\d.]+", &[("1.5", true), ("٣", false)]);
        check(r"[^\s]", &[("\u{A0}", true), ("\r", false)]);
        check(r"[^\D]", &[("5", true), ("٣", false)]);
        check(r"[\W\d]", &[("é", true), ("3", true), ("a", false)]);
        check(r"[\d-z]", &[("-", true), ("z", true), ("m", false)]);
        // Case folding still applies: K folds to the Kelvin sign, s to the long s.
        check(
            r"(?i)\w",
            &[("\u{212A}", true), ("\u{17F}", true), ("é", false)],
        );
        check(r"(?i)\W", &[("\u{212A}", false), ("é", true)]);
    }

    #[test]
    fn word_boundaries_are_ascii() {
        check(r"é\b", &[("é", false)]);
        check(r"é\B", &[("é", true)]);
        check(r"a\b", &[("a", true)]);
        check(r"\b.\b", &[("a", true), ("é", false)]);
        check(r".\B.", &[("éé", true), ("ab", true), ("a ", false)]);
        check(r"\b*a", &[("a", true)]);
    }

    #[test]
    fn posix_classes() {
        check("[[:alpha:]]+", &[("abZ", true), ("é", false)]);
        check("[[:^alpha:]]", &[("é", true), ("a", false)]);
        check("[[:space:]]", &[("\x0B", true), ("\u{A0}", false)]);
        check("[[:word:][:punct:]]+", &[("a_!", true), ("é", false)]);
        check("(?i)[[:upper:]]", &[("a", true), ("\u{17F}", true)]);
        check("[[:alpha]", &[(":", true), ("[", true), ("]", false)]);
        refused("[[:foo:]]", 1, "invalid character class range: `[:foo:]`");
        refused("[[:a]b:]]", 1, "invalid character class range: `[:a]b:]`");
    }

    #[test]
    fn class_specials_are_literal() {
        check("[[]", &[("[", true)]);
        check("[a[b]]", &[("a]", true), ("[]", true), ("b", false)]);
        check("[]a]", &[("]", true), ("a", true)]);
        check("[^]a]", &[("]", false), ("b", true)]);
        check("[a&&b]", &[("&", true), ("a", true)]);
        check("[a-c--]", &[("-", true), ("b", true), ("d", false)]);
        check("[a~~b]", &[("~", true)]);
        check("[a-]", &[("-", true)]);
        check("[a-b-c]", &[("-", true), ("c", true), ("d", false)]);
        refused(r"[\b]", 1, r"invalid escape sequence: `\b`");
        refused("[z-a]", 1, "invalid character class range: `z-a`");
        refused("[a--b]", 1, "invalid character class range: `a--`");
        refused("[a", 0, "missing closing ]: `[a`");
        refused("[]", 0, "missing closing ]: `[]`");
    }

    #[test]
    fn quoted_text() {
        check(r"\Qa.b\E", &[("a.b", true), ("axb", false)]);
        check(r"\Qab\E+", &[("abbb", true), ("abab", false)]);
        check(r"a*\Q\E*", &[("aaa", true)]);
        check(r"\Q[a]", &[("[a]", true)]);
        check(r"(?i)\Qab\E", &[("AB", true)]);
        check(r"\Q\\E", &[("\\", true)]);
        refused(r"\Q\E*", 4, "missing argument to repetition operator: `*`");
    }

    #[test]
    fn escapes() {
        check(r"\0\12\123", &[("\0\nS", true)]);
        check(r"\1234", &[("S4", true)]);
        check(r"\777", &[("\u{1FF}", true)]);
        check(r"\x41\x{1F600}\x{0041}", &[("A😀A", true)]);
        check(r"\a\f\v\t\n\r", &[("\x07\x0C\x0B\t\n\r", true)]);
        check(r"\_\<\>\ \#\&\~\%\'", &[("_<> #&~%'", true)]);
        check(r"\A\z|\z", &[("", true)]);
        // A surrogate is a code point no UTF-8 text holds.
        check(r"a\x{D800}?", &[("a", true), ("a\u{FFFD}", false)]);
        check(r"[^\x{D800}-\x{DFFF}]", &[("a", true), ("\u{E000}", true)]);
        refused(r"\1", 0, r"invalid escape sequence: `\1`");
        refused(r"\18", 0, r"invalid escape sequence: `\1`");
        refused(r"\8", 0, r"invalid escape sequence: `\8`");
        refused(r"a\Z", 1, r"invalid escape sequence: `\Z`");
        refused(r"\C", 0, r"invalid escape sequence: `\C`");
        refused(r"\E", 0, r"invalid escape sequence: `\E`");
        refused(r"\é", 0, r"invalid escape sequence: `\é`");
        refused(r"\x{110000}", 0, r"invalid escape sequence: `\x{110000`");
        refused(r"\x{}", 0, r"invalid escape sequence: `\x{}`");
        refused(r"\xg1", 0, r"invalid escape sequence: `\xg1`");
        refused(r"a\", 1, "trailing backslash at end of expression: ``");
    }

    #[test]
    fn unicode_classes() {
        check(r"\pL+", &[("aé中", true), ("1", false)]);
        check(r"\PL", &[("1", true), ("a", false)]);
        check(r"\p{^Greek}", &[("a", true), ("α", false)]);
        check(r"\P{^Greek}", &[("α", true)]);
        // Script, not Script_Extensions: U+0342 is Inherited.
        check(r"\p{Greek}", &[("\u{342}", false)]);
        // Go's C has no unassigned code points; Cs matches nothing in UTF-8.
        check(
            r"\pC",
            &[("\u{0}", true), ("\u{E000}", true), ("\u{378}", false)],
        );
        check(r"\p{Cs}|x", &[("x", true)]);
        check(r"[^\p{Cs}]", &[("a", true)]);
        check(r"\p{Any}", &[("\u{10FFFF}", true)]);
        check(r"(?i)\p{Lu}", &[("a", true)]);
        check(r"(?i)[^\p{Lu}]", &[("a", false), ("1", true)]);
        for bad in [
            r"\p{Letter}",
            r"\p{greek}",
            r"\p{L&}",
            r"\p{sc=Greek}",
            r"\pX",
        ] {
            assert!(translate(bad).is_err(), "{bad:?}");
        }
        refused(r"a\p{Foo}", 1, r"invalid character class range: `\p{Foo}`");
        refused(r"\p{L", 0, r"invalid character class range: `\p{L`");
        refused(r"\p", 0, r"invalid character class range: `\p`");
    }

    #[test]
    fn every_go_unicode_name_compiles() {
        assert_eq!(SCRIPTS.split(' ').count(), 156);
        for name in CATEGORIES.iter().copied().chain(SCRIPTS.split(' ')) {
            for p in [format!(r"\p{{{name}}}"), format!(r"[^\P{{^{name}}}x]")] {
                compile(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            }
        }
    }

    /// `regex-syntax` 0.8 mis-negates classes holding U+D7FF and U+E000 as separate ranges.
    #[test]
    fn negation_across_surrogates() {
        check(
            r"[^\x{D7FF}\x{E000}]",
            &[("\u{D7FF}", false), ("\u{E000}", false)],
        );
        check(r"[^\x00-\x{10FFFF}]|x", &[("\u{E000}", false), ("x", true)]);
        check(
            r"[^\P{Co}\x{E000}]",
            &[("\u{E000}", false), ("\u{E001}", true)],
        );
        check(
            r"[^\x{D7FF}-\x{E000}]",
            &[("\u{D7FF}", false), ("\u{E000}", false)],
        );
    }

    #[test]
    fn flags() {
        check("(?i)ab", &[("AB", true)]);
        check("a(?i)b|c", &[("C", true), ("aB", true), ("Ab", false)]);
        check("(?i:a)b", &[("Ab", true), ("aB", false)]);
        check("(?i)a(?-i)b", &[("Ab", true), ("aB", false)]);
        check("(?-s).", &[("\n", false), ("x", true)]);
        check(".", &[("\n", true)]);
        check("(?m)a$\n^b", &[("a\nb", true)]);
        check("a$\n", &[("a\n", false)]);
        check("(?U)a+", &[("aaa", true)]);
        check("a*(?i)*", &[("aa", true)]);
        check("(?)(?ii)(?i-i)a", &[("a", true), ("A", false)]);
        for (p, off, msg) in [
            ("(?x)", 0, "`(?x`"),
            ("(?u)", 0, "`(?u`"),
            ("a(?R)", 1, "`(?R`"),
            ("(?<n>a)", 0, "`(?<`"),
            ("(?=a)", 0, "`(?=`"),
            ("(?-)", 0, "`(?-)`"),
            ("(?i-)", 0, "`(?i-)`"),
            ("(?--i)", 0, "`(?--`"),
            ("(?P=n)", 0, "`(?P`"),
            ("(?", 0, "`(?`"),
        ] {
            refused(
                p,
                off,
                &format!("invalid or unsupported Perl syntax: {msg}"),
            );
        }
        refused("(?P<a-b>x)", 0, "invalid named capture: `(?P<a-b>`");
        refused("(?P<>x)", 0, "invalid named capture: `(?P<>`");
        refused("(?P<n", 0, "invalid named capture: `(?P<n`");
    }

    #[test]
    fn repetition() {
        check("a{2,3}", &[("aa", true), ("aaaa", false)]);
        check("a{,3}", &[("a{,3}", true)]);
        check("a{01}", &[("a{01}", true)]);
        check("a{1,2,3}|{", &[("a{1,2,3}", true), ("{", true)]);
        check("(a{10}){100}", &[(&"a".repeat(1000), true)]);
        check("(a{500}){0}b", &[("b", true)]);
        check("$*a", &[("a", true)]);
        check("(?:)+", &[("", true)]);
        check("a{0,1000}", &[("aaa", true)]);
        for (p, off, msg) in [
            ("a{1001}", 1, "invalid repeat count: `{1001}`"),
            ("a{2,1}", 1, "invalid repeat count: `{2,1}`"),
            ("a{99999999999}", 1, "invalid repeat count: `{99999999999}`"),
            ("(a{10}){101}", 7, "invalid repeat count: `{101}`"),
            ("((a{10}){10}){11}", 13, "invalid repeat count: `{11}`"),
            ("(a{2}b{600}){2}?", 12, "invalid repeat count: `{2}?`"),
            ("a**", 1, "invalid nested repetition operator: `**`"),
            ("a*?+", 1, "invalid nested repetition operator: `*?+`"),
            ("a{2}{3}", 1, "invalid nested repetition operator: `{2}{3}`"),
            ("*a", 0, "missing argument to repetition operator: `*`"),
            ("a|+", 2, "missing argument to repetition operator: `+`"),
            ("(?i)??", 4, "missing argument to repetition operator: `??`"),
            ("({2})", 1, "missing argument to repetition operator: `{2}`"),
        ] {
            refused(p, off, msg);
        }
    }

    #[test]
    fn groups_and_alternation() {
        check("a|", &[("", true), ("a", true)]);
        check("(|a)b", &[("b", true), ("ab", true)]);
        check("()", &[("", true)]);
        check("", &[("", true), ("a", false)]);
        check("a$b", &[("ab", false)]);
        check("^a|b$", &[("a", true), ("b", true), ("ab", false)]);
        refused("(a", 0, "missing closing ): `(a`");
        refused("x((a)", 1, "missing closing ): `x((a)`");
        refused("a)", 1, "unexpected ): `a)`");
        // Go's bare `^(?s:a)|(b)$` would take this; Prometheus parses it alone first.
        refused("a)|(b", 1, "unexpected ): `a)|(b`");
    }

    #[test]
    fn limits_and_robustness() {
        let deep = format!("{}a{}", "(?:".repeat(1000), ")".repeat(1000));
        assert!(translate(&deep).is_ok());
        let deeper = format!("({deep})");
        assert_eq!(
            translate(&deeper).unwrap_err().message,
            format!("{NESTING_DEPTH}: `{deeper}`")
        );
        assert!(translate(&"(".repeat(100_000)).is_err());
        let stacked = format!("a{}", "*(?)".repeat(1000));
        assert!(translate(&stacked).is_ok());
        assert!(translate(&format!("{stacked}*")).is_err());
        let long = "ab|".repeat(100_000);
        assert_eq!(translate(&long).map(|t| t.len()), Ok(long.len()));
    }

    /// Random byte soup, biased towards syntax: never a panic, and whatever is accepted is a
    /// pattern the `regex` crate parses.
    #[test]
    fn fuzz_random_patterns() {
        const ALPHABET: &[&str] = &[
            "(", ")", "[", "]", "{", "}", "\\", "*", "+", "?", "|", "^", "$", ".", "-", ":", ",",
            "a", "Z", "0", "1", "9", "P", "<", ">", "i", "s", "m", "U", "x", "Q", "E", "p", "b",
            "d", "w", "&", "~", "#", " ", "é", "中", "\n", "\u{D7FF}", "_", "^", "=", "!",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let parser = || {
            regex_syntax::ParserBuilder::new()
                .nest_limit(100_000)
                .build()
        };
        let mut accepted = 0;
        for _ in 0..100_000 {
            let len = next() % 24;
            let pattern: String = (0..len)
                .map(|_| ALPHABET[next() as usize % ALPHABET.len()])
                .collect();
            if let Ok(t) = translate(&pattern) {
                accepted += 1;
                if let Err(e) = parser().parse(&format!("^(?s:{t})$")) {
                    panic!("{pattern:?} -> {t:?}: {e}");
                }
            }
        }
        assert!(accepted > 5_000, "{accepted}");
    }

    #[test]
    fn go_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/regex/go-vectors.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("read go-vectors.jsonl");
        let st = check_vectors(&text);
        assert!(st.compared > 5000, "{st:?}");
        let bad = &st.disagreements;
        assert!(
            bad.is_empty(),
            "{} disagreements:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    /// Differential run over a large generated corpus (see tools/goregex-oracle/README.md):
    /// `GOREGEX_VECTORS=/tmp/big.jsonl cargo test --release --lib goregex -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn go_vectors_from_env() {
        let path = std::env::var("GOREGEX_VECTORS").expect("GOREGEX_VECTORS=file.jsonl");
        let text = std::fs::read_to_string(path).expect("read vectors");
        let st = check_vectors(&text);
        let bad = &st.disagreements;
        println!(
            "{} patterns ({} valid, {} of them too big for the regex crate's default limit), \
             {} (pattern, input) pairs compared, {} disagreements",
            st.patterns,
            st.valid,
            st.too_big,
            st.compared,
            bad.len()
        );
        for b in bad.iter().take(200) {
            println!("{b}");
        }
        assert!(bad.is_empty());
    }
}
