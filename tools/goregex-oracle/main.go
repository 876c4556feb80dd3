// Command goregex-oracle answers, with Go's own regexp package, whether Prometheus-style
// anchored regexes match given strings. It is the reference for src/query/goregex.rs.
//
// Oracle mode (default) reads JSON lines {"pattern": P, "inputs": [...]} on stdin and writes
// one JSON line per request:
//
//	{"pattern": P, "error": E, "inputs": [...], "matches": [...]}
//
// E is empty when P is valid: when syntax.Parse(P, Perl|DotNL) accepts it (Prometheus 3
// parses the pattern on its own first) and either regexp.Compile("^(?s:" + P + ")$") or
// Prometheus 3's recompilation of the parsed form, "^(?s:" + parsed.Simplify().String() +
// ")$", succeeds. The matches are MatchString results of the first of those that compiles.
// Two more fields appear only when they disagree with E about validity ("(none)" for no
// error):
//   - wrapped_error, regexp.Compile("^(?s:" + P + ")$")'s verdict: it accepts an unbalanced
//     ")" that closes the wrapping group (a)|(b) and refuses an unterminated \Q, which
//     swallows the closing ")$";
//   - prometheus_error, the recompilation's verdict: Simplify expands a{0,1000} into 1000
//     nested groups, which Go's parser then refuses as too deep.
//
// Generator mode writes a corpus in the same format: a fixed list of hand-picked patterns
// followed by random ones, each with inputs sampled from the pattern (so that some match),
// mutations of those, and random strings:
//
//	GO111MODULE=off go run main.go -gen 500 -seed 1 > ../../testdata/regex/go-vectors.jsonl
//
// (see README.md; use Go 1.19).
//
// Only the standard library is used, so GO111MODULE=off go run main.go works offline.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

type request struct {
	Pattern string   `json:"pattern"`
	Inputs  []string `json:"inputs"`
}

type answer struct {
	Pattern      string `json:"pattern"`
	Error        string `json:"error"`
	WrappedError string `json:"wrapped_error,omitempty"`
	// PrometheusError is set when Prometheus 3's route disagrees about validity.
	PrometheusError string   `json:"prometheus_error,omitempty"`
	Inputs          []string `json:"inputs"`
	Matches         []bool   `json:"matches"`
	// artifact: P parses, yet neither compilation works (an unterminated \Q, which the
	// wrapping breaks, plus a{0,1000}, which the recompilation breaks). -gen skips these.
	artifact bool
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// oracle answers one request.
func oracle(req request) answer {
	a := answer{Pattern: req.Pattern, Inputs: req.Inputs, Matches: []bool{}}
	if a.Inputs == nil {
		a.Inputs = []string{}
	}
	wrapped, werr := regexp.Compile("^(?s:" + req.Pattern + ")$")
	parsed, perr := syntax.Parse(req.Pattern, syntax.Perl|syntax.DotNL)
	var prom *regexp.Regexp
	var promErr error
	if perr == nil {
		prom, promErr = regexp.Compile("^(?s:" + parsed.Simplify().String() + ")$")
	}
	// The verdict: P must parse on its own, and compile one way or the other.
	err := perr
	if err == nil && werr != nil && promErr != nil {
		err = werr
	}
	a.Error = errText(err)
	a.artifact = perr == nil && err != nil
	note := func(e error) string {
		if (e == nil) == (err == nil) {
			return ""
		}
		if e == nil {
			return "(none)"
		}
		return errText(e)
	}
	a.WrappedError = note(werr)
	if perr == nil {
		a.PrometheusError = note(promErr)
	}
	if err != nil {
		return a
	}
	re := wrapped
	if re == nil {
		re = prom
	}
	for _, s := range req.Inputs {
		m := re.MatchString(s)
		if prom != nil && m != prom.MatchString(s) {
			fmt.Fprintf(os.Stderr, "note: %q on %q: Prometheus's re-serialised form disagrees\n", req.Pattern, s)
		}
		a.Matches = append(a.Matches, m)
	}
	return a
}

func main() {
	genN := flag.Int("gen", 0, "generate a corpus of this many random patterns (plus the fixed ones)")
	seed := flag.Int64("seed", 1, "random seed for -gen")
	rich := flag.Bool("rich", false, "with -gen: more inputs per pattern (for differential runs)")
	flag.Parse()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if *genN > 0 {
		g := &gen{r: rand.New(rand.NewSource(*seed)), rich: *rich}
		for _, p := range fixedPatterns {
			enc.Encode(oracle(request{Pattern: p, Inputs: g.inputs(p, true)}))
		}
		for i := 0; i < *genN; {
			p := g.pattern()
			if a := oracle(request{Pattern: p, Inputs: g.inputs(p, false)}); !a.artifact {
				enc.Encode(a)
				i++
			}
		}
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad request:", err)
			os.Exit(1)
		}
		enc.Encode(oracle(req))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// keyInputs are tried on every fixed pattern: the characters where Go and the regex crate
// disagree by default (ASCII vs Unicode classes, \v, case-folding specials, class syntax).
var keyInputs = []string{"", "a", "A", "0", "_", " ", "\n", "\v", "é", "\u212a", "٣", "\u00a0", "-", "["}

// fixedInputs, more of the same, are picked from for the other patterns (all of them with
// -rich).
var fixedInputs = []string{
	"", "a", "A", "_", "0", " ", "\t", "\n", "\v", "\f", "\r", "é", "\u212a", "\u017f", "ß",
	"\u00a0", "\u2003", "٣", "३", "Σ", "σ", "ς", "\u0345", "中", "😀", "\u200b", "\ue000",
	"-", "[", "]", "&", "~", "^", "\\", "a\n", "\na", "ab", "aa", "{", "}",
}

// fixedPatterns cover each documented difference between Go's syntax and the regex crate's.
var fixedPatterns = []string{
	// Perl classes are ASCII in Go.
	`\d`, `\D`, `\s`, `\S`, `\w`, `\W`, `\d+`, `[\d]`, `[^\d]`, `[\D]`, `[^\D]`, `[\s]`, `[^\s]`,
	`[\S]`, `[\w.]`, `[^\w]`, `[\W\d]`, `(?i)\w`, `(?i)\W`, `(?i)[^\w]`, `(?i)[\W]`, `(?i)k`,
	`(?i)s`, `(?i)[k]`, `(?i)[^k]`, `\d\D`, `[\d-z]`, `[a-\d]`, `[\w-]`, `[-\w]`,
	// Word boundaries are ASCII in Go.
	`\b`, `\B`, `a\b`, `\ba`, `a\B`, `\Bé`, `é\b`, `é\B`, `\b.\b`, `.\B.`, `\b*a`, `\B+`,
	`a\b?`, `(?:\b)*a`, `\b\B`, `.*\b.*`,
	// POSIX classes.
	`[[:alpha:]]`, `[[:^alpha:]]`, `[[:digit:][:space:]]`, `[[:space:]]`, `[[:word:]]`,
	`[[:punct:]]`, `[[:^punct:]]`, `[[:upper:]]`, `(?i)[[:upper:]]`, `(?i)[[:^lower:]]`,
	`[[:xdigit:]]`, `[[:cntrl:]]`, `[[:print:]]`, `[[:graph:]]`, `[[:blank:]]`, `[[:ascii:]]`,
	`[[:^ascii:]]`, `[[:alnum:]_]`, `[[:foo:]]`, `[[:Alpha:]]`, `[[:alpha:]`, `[:alpha:]`,
	`[[:a]b:]]`, `[[:]`, `[[:]:]]`, `[[:alpha]]`, `[^[:space:]]`,
	// Literal [ & - ~ inside classes.
	`[[]`, `[[a]`, `[a[]`, `[a[b]]`, `[]]`, `[]a]`, `[^]a]`, `[^]]`, `[]`, `[^]`, `[a&&b]`,
	`[&&]`, `[a--b]`, `[--]`, `[a~~b]`, `[~~]`, `[&]`, `[~]`, `[a-]`, `[-a]`, `[a-b-c]`,
	`[^-]`, `[a^]`, `[\^]`, `[\]]`, `[\[]`, `[\-]`, `[\\]`, `[.]`, `[*+?{}()|$]`, `[#]`,
	`[z-a]`, `[a-a]`, `[\x00-\x{10FFFF}]`, `[^\x00-\x{10FFFF}]`, `[\n]`, `[^\n]`, `[a-\n]`,
	`[\t-\r]`, `[ -~]`, `[^ -~]`, `[\pL]`, `[^\pL]`, `[\p{Greek}a]`, `[\PL]`, `[\P{^L}]`,
	`[\pZ\d]`, `[\b]`, `[\Q]`, `[\A]`, `[\z]`, `[\x{D800}]`, `[^\x{D800}]`, `[\x{D7FF}-\x{E000}]`,
	`[\x{D800}-\x{DFFF}]`, `[^\x{D800}-\x{DFFF}]`, `[a\x{D800}]`, `[\x{DFFF}-\x{E001}]`,
	// \Q...\E.
	`\Qa.b\E`, `\Q.*\E`, `\Qa\E+`, `\Qab\E+`, `\Q\E`, `\Q\E*`, `a\Q\E*`, `a*\Q\E*`, `\Q[a]\E`,
	`\Q(\E`, `\Q\\E`, `\Qa`, `\Q`, `\Q\`, `a\Q|b`, `(?i)\Qab\E`, `\Q\Q\E`, `\Qa\Eb\Ec`, `\E`,
	`\Q\E\E`, `x\Q\Ey`,
	// Octal and hex escapes.
	`\0`, `\00`, `\000`, `\0000`, `\01`, `\012`, `\1`, `\7`, `\8`, `\9`, `\10`, `\12`, `\123`,
	`\1234`, `\18`, `\400`, `\777`, `\08`, `[\0]`, `[\12]`, `[\1]`, `[\101-\132]`, `\x41`,
	`\x4`, `\x`, `\xg`, `\x4g`, `\x{41}`, `\x{}`, `\x{0041}`, `\x{10FFFF}`, `\x{110000}`,
	`\x{D800}`, `a\x{D800}?`, `\x{DFFF}*`, `\x{41`, `\x{g}`, `\x{1F600}`, `\x{0000000000041}`,
	`\X41`, `\u0041`, `\x{41}\x{42}`,
	// Other escapes.
	`\a`, `\f`, `\n`, `\r`, `\t`, `\v`, `\e`, `\cA`, `\z`, `\Z`, `\A`, `\Aa`, `a\z`, `\C`,
	`\G`, `\K`, `\N`, `\R`, `\X`, `\h`, `\H`, `\o{1}`, `\E`, `\y`, `\i`, `\k<a>`, `\g1`,
	`\.`, `\*`, `\-`, `\_`, `\<`, `\>`, `\'`, `\"`, `\ `, `\#`, `\&`, `\~`, `\/`, `\%`, `\@`,
	`\!`, `\,`, `\:`, `\;`, `\=`, "\\`", `\{`, `\}`, `\[`, `\]`, `\(`, `\)`, `\|`, `\$`, `\^`,
	`\\`, `\é`, `\中`, "\\\n", "\\\t", `a\`, `\`, `[\`, `[a\`,
	// Unicode classes.
	`\pL`, `\PL`, `\p{L}`, `\p{Lu}`, `\p{^Lu}`, `\P{^Lu}`, `\p{Greek}`, `\P{Greek}`,
	`\p{^Greek}`, `\pN`, `\p{Nd}`, `\pZ`, `\p{Zs}`, `\pP`, `\pS`, `\pM`, `\pC`, `\PC`,
	`\p{Cc}`, `\p{Cf}`, `\p{Co}`, `\p{Cs}`, `\P{Cs}`, `[\p{Cs}]`, `[^\p{Cs}]`, `\p{Any}`,
	`\P{Any}`, `\p{^Any}`, `\p{Han}`, `\p{Latin}`, `\p{Cyrillic}`, `\p{Arabic}`,
	`\p{Devanagari}`, `\p{Common}`, `\p{Inherited}`, `\p{Hiragana}`, `\p{Hangul}`,
	`\p{Thai}`, `\p{Hebrew}`, `\p{Nko}`, `\p{Phags_Pa}`, `\p{Old_Italic}`, `\p{greek}`,
	`\p{GREEK}`, `\p{Letter}`, `\p{Lowercase_Letter}`, `\p{L&}`, `\p{LC}`, `\p{Cn}`,
	`\p{Zzzz}`, `\p{Unknown}`, `\p{Alphabetic}`, `\p{White_Space}`, `\p{sc=Greek}`,
	`\p{Script=Greek}`, `\p{gc=L}`, `\p{ASCII}`, `\p{Assigned}`, `\p{ L}`, `\p{L }`, `\pX`,
	`\pl`, `\p`, `\P`, `\p{`, `\p{L`, `\p{}`, `\p{^}`, `\pé`, `\p^L`, `\p{Greek}+`,
	`(?i)\p{Lu}`, `(?i)\P{Lu}`, `(?i)\p{Ll}`, `(?i)\p{Greek}`, `(?i)\P{Greek}`, `(?i)\pL`,
	`(?i)\PL`, `(?i)[^\p{Lu}]`, `(?i)\p{Lt}`, `(?i)\p{Latin}`, `(?i)\p{Common}`, `(?i)\pM`,
	// Flags.
	`(?i)a`, `(?i)A`, `(?i:a)b`, `a(?i)b`, `(?i)a(?-i)b`, `(?i-i)a`, `(?ii)a`, `(?i)`,
	`(?)`, `(?:)`, `(?-)`, `(?i-)`, `(?-i)`, `(?--i)`, `(?i-s:a.)`, `(?s-s:.)`, `(?-s).`,
	`(?-s:.)`, `(?m)^a$`, `(?m)a$`, `(?m)^`, `(?m)$`, `(?m:^)a`, `(?-m)^a$`, `(?U)a*`, `(?U)a+?`,
	`(?x)a b`, `(?x)`, `(?u)a`, `(?R)a`, `(?J)`, `(?n)`, `(?is)a.`, `(?im-sU:a)`, `(?i:a|b)c`,
	`(?i)a|b`, `a(?i)|b`, `a|(?i)b`, `(a(?i)b|c)d`, `(?i)(a)b`, `(?i:(?-i:a)b)`, `(?i`,
	`(?`, `(?:`, `(?i)*`, `a(?i)*`, `a*(?i)*`, `a*(?i)+`, `(?i)(?s)`, `(?i)(?m)`, `(?U)(?i)`,
	`(?P<name>a)`, `(?P<name>a)(?P<name>b)`, `(?P<n1>a)`, `(?P<_>a)`, `(?P<1>a)`, `(?P<>a)`,
	`(?P<a-b>a)`, `(?P<é>a)`, `(?P<name`, `(?P<name>`, `(?P<`, `(?P`, `(?P=name)`, `(?P>name)`,
	`(?<name>a)`, `(?'name'a)`, `(?=a)`, `(?!a)`, `(?<=a)`, `(?<!a)`, `(?#comment)`, `(?>a)`,
	`(?|a)`, `(?*)`, `(?+)`, `(?i)Σ`, `(?i)σ`, `(?i)ς`, `(?i)ß`, `(?i)ẞ`, `(?i)\x{212A}`,
	`(?i)[a-z]`, `(?i)[A-Z]+`, `(?i)[^a-z]`, `(?i)\x{17F}`, `(?i)é`, `(?i)\Qk\E`,
	// Repetition.
	`a*`, `a+`, `a?`, `a*?`, `a+?`, `a??`, `a{2}`, `a{2,}`, `a{2,3}`, `a{2}?`, `a{,3}`, `a{,}`,
	`a{`, `a{1`, `a{1,`, `a{1,2`, `a{01}`, `a{1,02}`, `a{00}`, `a{0}`, `a{0,0}`, `a{ 1}`,
	`a{1 }`, `a{1,2,3}`, `a{-1}`, `a{+1}`, `a{1}}`, `{`, `{1}`, `x{1}{2}`, `a{1000}`,
	`a{1001}`, `a{0,1000}`, `a{0,1001}`, `a{1000,}`, `a{1001,}`, `a{2,1}`, `a{99999999999}`,
	`a{1,99999999999}`, `(a{10}){100}`, `(a{10}){101}`, `((a{10}){10}){10}`,
	`((a{10}){10}){11}`, `(a{1000}){1}`, `(a{1000}){0}`, `(a{500}){0,2}`, `(a{500}){0,}`,
	`(a{500}){2,}`, `(a{2}|b{600}){2}`, `(a{0}){1001}`, `(a*){1000}`, `(a{2})*`,
	`(?:a{2}){3}`, `(?:a{2}){501}`, `(a{2}b{3}){200}`, `(a{2}b{3}){334}`, `a**`, `a*+`, `a*?*`,
	`a+*`, `a??+`, `a{2}*`, `a*{2}`, `a{2}{3}`, `a?{2}`, `a{2}?{3}`, `*`, `+`, `?`, `*a`,
	`a|*`, `(*)`, `(?:*)`, `(?i)*`, `(|*)`, `{2}`, `a|{2}`, `(+a)`, `^*`, `$+`, `^*a`,
	`a$*`, `\A*`, `\z?`, `(?m)^*`, `()*`, `(?:)*`, `(?:)+`, `(|)+`, `(a*)*`, `(a*)+`, `(a+)?`,
	`(a|b)*c`, `(a|)+`, `.{3}`, `.{0}`, `.{2,}`, `(?:.{10}){10}`,
	// Groups, alternation, anchors.
	``, `a|`, `|a`, `|`, `||`, `()`, `(|a)`, `(a|)`, `(()|)`, `a()b`, `(a)(b)`, `((a))`,
	`(a`, `a)`, `)`, `(`, `((a)`, `(a))`, `a)|(b`, `a)(b`, `)(`, `())`, `^`, `$`, `^$`, `^a`,
	`a$`, `a^`, `$a`, `a$b`, `^^a$$`, `a\nb`, `(?m)a\n^b`, `(?m)a$\nb`, `a$\n`, `(?m)a$\n`,
	`.`, `..`, `.*`, `.+`, `(?-s).*`, `(?-s:.*)a`, `[^a]*`, `a.b`, `a.*b`,
	// Characters that are special to one of the two syntaxes only.
	`#`, `a#b`, `&`, `-`, `~`, `a&&b`, `a--b`, `a~~b`, ` `, `a b`, "\t", "\n", "a\nb", `}`,
	`]`, `a]`, `a}`, `é`, `中文`, `😀+`, `<`, `>`, `\<a\>`, `'`, `"`, `%`, `@`, `!`, `=`, `,`,
	`:`, `;`, "`", `/`, `_`, `\_+`,
}

type gen struct {
	r    *rand.Rand
	rich bool // all of the extra inputs and more samples, else a few
}

func (g *gen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }
func (g *gen) chance(n int) bool       { return g.r.Intn(n) == 0 }

var (
	literals = []string{
		"a", "b", "c", "k", "s", "x", "A", "B", "K", "S", "0", "1", "9", "_", " ", "-", "!",
		"#", "&", "~", "%", ",", "/", ":", ";", "<", ">", "=", "@", "'", "\"", "`", "]", "}",
		"\n", "\t", "é", "ß", "σ", "Σ", "ς", "中", "😀", "\u212a", "\u017f", "\u00a0", "٣",
	}
	escapes = []string{
		`\d`, `\D`, `\s`, `\S`, `\w`, `\W`, `\b`, `\B`, `\A`, `\z`, `\Z`, `\C`, `\pL`, `\PL`,
		`\p{Greek}`, `\p{^Lu}`, `\P{Ll}`, `\pZ`, `\pN`, `\p{Nd}`, `\pC`, `\PC`, `\p{Cs}`,
		`\p{Any}`, `\p{Latin}`, `\p{Han}`, `\p{Common}`, `\p{Foo}`, `\pX`, `\p{Letter}`, `\0`,
		`\01`, `\12`, `\123`, `\1`, `\8`, `\400`, `\777`, `\x41`, `\x{1F600}`, `\x{D800}`,
		`\x{110000}`, `\x{}`, `\xZ`, `\x{212A}`, `\x{3C3}`, `\.`, `\*`, `\-`, `\_`, `\<`, `\>`,
		`\'`, `\ `, `\#`, `\&`, `\~`, `\/`, `\%`, `\[`, `\]`, `\{`, `\}`, `\\`, `\^`, `\$`,
		`\|`, `\(`, `\)`, `\q`, `\e`, `\E`, `\y`, `\a`, `\f`, `\n`, `\r`, `\t`, `\v`, `\é`,
	}
	classItems = []string{
		"a", "z", "A", "k", "0", "9", "_", " ", "-", "^", "[", "&&", "--", "~~", "&", "~", ".",
		"*", "$", "(", ")", "|", "{", "}", "#", "é", "σ", "\u212a", "中", "😀", "\n", "\\]",
		"\\[", "\\-", "\\^", "\\\\", "\\n", "\\t", "\\v", "\\x41", "\\x{3C3}", "\\x{D800}",
		"\\0", "\\101", "\\b", "\\Q", "\\z", "\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "\\pL",
		"\\PL", "\\p{Greek}", "\\P{^Lu}", "\\pN", "\\p{Cs}", "\\pC", "[:alpha:]", "[:^alpha:]",
		"[:digit:]", "[:space:]", "[:^space:]", "[:upper:]", "[:word:]", "[:punct:]",
		"[:foo:]", "[:alpha", "a-z", "A-Z", "0-9", "z-a", "a-\\d", " -~", "\\x00-\\x{10FFFF}",
		"\\x{D7FF}-\\x{E000}", "α-ω", "\\n-\\r", "\\x{E000}", "\\x{D7FF}", "\\P{Co}", "\\p{Co}",
	}
	groupOpens = []string{
		"(", "(", "(?:", "(?:", "(?i:", "(?s:", "(?-s:", "(?m:", "(?U:", "(?i-s:", "(?P<n>",
		"(?P<>", "(?P<a-b>", "(?<n>", "(?x:", "(?=", "(?!", "(?-:", "(?i-:", "(?ii:",
		"(?i-i:", "(?#",
	}
	flagGroups = []string{"(?i)", "(?-i)", "(?m)", "(?-m)", "(?s)", "(?-s)", "(?U)", "(?)", "(?-)", "(?x)"}
	counts     = []string{"0", "1", "2", "3", "5", "10", "100", "500", "999", "1000", "1001", "01", "99999999999"}
	junk       = []string{
		"(", ")", "[", "]", "{", "}", "\\", "*", "+", "?", "|", "^", "$", ".", "-", ":", "a",
		"b", "1", ",", "P", "<", ">", "i", "Q", "E", "p", "x", "&", "~", "é", " ",
	}
)

func (g *gen) pattern() string {
	if g.chance(7) {
		var b strings.Builder
		for n := 1 + g.r.Intn(12); n > 0; n-- {
			b.WriteString(g.pick(junk))
		}
		return b.String()
	}
	return g.alt(3)
}

func (g *gen) alt(depth int) string {
	n := 1
	if g.chance(3) {
		n += 1 + g.r.Intn(2)
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.concat(depth)
	}
	return strings.Join(parts, "|")
}

func (g *gen) concat(depth int) string {
	var b strings.Builder
	for n := g.r.Intn(4); n >= 0; n-- {
		b.WriteString(g.piece(depth))
	}
	return b.String()
}

func (g *gen) piece(depth int) string {
	s := g.atom(depth)
	if g.chance(3) {
		s += g.repeat()
		if g.chance(12) {
			if g.chance(2) {
				s += g.pick(flagGroups)
			}
			s += g.repeat()
		}
	}
	return s
}

func (g *gen) repeat() string {
	var op string
	switch g.r.Intn(10) {
	case 0, 1:
		op = "*"
	case 2, 3:
		op = "+"
	case 4, 5:
		op = "?"
	case 6:
		op = "{" + g.pick(counts) + "}"
	case 7:
		op = "{" + g.pick(counts) + ",}"
	case 8:
		op = "{" + g.pick(counts) + "," + g.pick(counts) + "}"
	default:
		op = g.pick([]string{"{", "{,3}", "{1,2,3}", "{ 1}", "{3,2}", "{1", "{x}"})
	}
	if g.chance(5) {
		op += "?"
	}
	return op
}

func (g *gen) atom(depth int) string {
	switch n := g.r.Intn(20); {
	case n < 7:
		return g.pick(literals)
	case n < 10:
		return g.pick(escapes)
	case n < 13:
		return g.class()
	case n < 16 && depth > 0:
		open := g.pick(groupOpens)
		if g.chance(25) {
			return open + g.alt(depth-1) // unclosed
		}
		return open + g.alt(depth-1) + ")"
	case n < 17:
		return g.pick(flagGroups)
	case n < 18:
		return g.pick([]string{".", "^", "$", ".", ")"})
	default:
		q := `\Q` + g.pick(literals) + g.pick([]string{"", ".", "*", "\\", "]", "(", "a"})
		if !g.chance(8) {
			q += `\E`
		}
		return q
	}
}

func (g *gen) class() string {
	var b strings.Builder
	b.WriteString("[")
	if g.chance(3) {
		b.WriteString("^")
	}
	if g.chance(8) {
		b.WriteString("]")
	}
	for n := 1 + g.r.Intn(3); n > 0; n-- {
		b.WriteString(g.pick(classItems))
	}
	if !g.chance(20) {
		b.WriteString("]")
	}
	return b.String()
}

// inputs returns keyInputs (if key) or some of fixedInputs (all if g.rich), strings sampled
// from p, mutations of them and random strings.
func (g *gen) inputs(p string, key bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && utf8.ValidString(s) {
			seen[s] = true
			out = append(out, s)
		}
	}
	n := 4
	switch {
	case g.rich:
		n = 3 * n
		for _, s := range fixedInputs {
			add(s)
		}
	case key:
		n = 3
		for _, s := range keyInputs {
			add(s)
		}
	default:
		n = 3
		add("")
		for i := 0; i < 3; i++ {
			add(g.pick(fixedInputs))
		}
	}
	var samples []string
	if re, err := syntax.Parse(p, syntax.Perl|syntax.DotNL); err == nil {
		for i := 0; i < n; i++ {
			var b strings.Builder
			if g.sample(&b, re, 0) && b.Len() < 300 {
				samples = append(samples, b.String())
				add(b.String())
			}
		}
	}
	for i := 0; i < n && len(samples) > 0; i++ {
		add(g.mutate(g.pick(samples)))
	}
	for i := 0; i < n/2; i++ {
		var b strings.Builder
		for n := g.r.Intn(4); n > 0; n-- {
			b.WriteString(g.randChar())
		}
		add(b.String())
	}
	return out
}

var inputChars = []string{
	"a", "b", "c", "k", "s", "x", "z", "A", "B", "K", "S", "Z", "0", "1", "9", "_", " ", "-",
	".", "*", "[", "]", "{", "}", "(", ")", "\\", "&", "~", "^", "$", "#", "<", ">", "\n",
	"\t", "\v", "\f", "\r", "\x00", "\x7f", "é", "É", "ß", "ẞ", "µ", "ÿ", "\u00a0", "\u2003",
	"\u2028", "\u212a", "\u017f", "\u0345", "α", "Σ", "σ", "ς", "ж", "Ж", "א", "ب", "٣", "क",
	"३", "ก", "中", "あ", "한", "😀", "\u200b", "\u0600", "\ue000", "\ud7ff", "\U000f0000",
	"Ａ", "ǅ", "İ", "ı", "\u0378",
}

var assigned = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C}

// unicodeChanged lists the code points whose general category, script or simple case
// folding differ between Go 1.19's tables (Unicode 13) and the regex crate's
// (regex-syntax 0.8.12, Unicode 16): mostly characters assigned since, plus a few
// reclassified ones such as U+16FE2. Sampled inputs avoid them, so that the corpus only
// holds differences in syntax. Derived by comparing, for every code point, each
// unicode.Categories / unicode.Scripts table and unicode.SimpleFold orbit with the class
// regex-syntax builds for \p{gc=X} / \p{sc=X} and with its case_fold_simple.
var unicodeChanged = [][2]rune{
	{0x19B, 0x19B}, {0x264, 0x264}, {0x390, 0x390}, {0x3B0, 0x3B0}, {0x61D, 0x61D},
	{0x870, 0x88E}, {0x890, 0x891}, {0x897, 0x89F}, {0x8B5, 0x8B5}, {0x8C8, 0x8D2},
	{0xC3C, 0xC3C}, {0xC5D, 0xC5D}, {0xCDD, 0xCDD}, {0xCF3, 0xCF3}, {0xECE, 0xECE},
	{0x170D, 0x170D}, {0x1715, 0x1715}, {0x171F, 0x171F}, {0x1734, 0x1734}, {0x180F, 0x180F},
	{0x1AC1, 0x1ACE}, {0x1B4C, 0x1B4C}, {0x1B4E, 0x1B4F}, {0x1B7D, 0x1B7F}, {0x1C89, 0x1C8A},
	{0x1DFA, 0x1DFA}, {0x1FD3, 0x1FD3}, {0x1FE3, 0x1FE3}, {0x20C0, 0x20C0}, {0x2427, 0x2429},
	{0x2C2F, 0x2C2F}, {0x2C5F, 0x2C5F}, {0x2E53, 0x2E5D}, {0x2FFC, 0x2FFF}, {0x31E4, 0x31E5},
	{0x31EF, 0x31EF}, {0x9FFD, 0x9FFF}, {0xA7C0, 0xA7C1}, {0xA7CB, 0xA7CD}, {0xA7D0, 0xA7D1},
	{0xA7D3, 0xA7D3}, {0xA7D5, 0xA7DC}, {0xA7F2, 0xA7F4}, {0xFB05, 0xFB06}, {0xFBC2, 0xFBC2},
	{0xFD40, 0xFD4F}, {0xFDCF, 0xFDCF}, {0xFDFE, 0xFDFF}, {0x10570, 0x1057A},
	{0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1},
	{0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x105C0, 0x105F3},
	{0x10780, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x10D40, 0x10D65},
	{0x10D69, 0x10D85}, {0x10D8E, 0x10D8F}, {0x10EC2, 0x10EC4}, {0x10EFC, 0x10EFF},
	{0x10F70, 0x10F89}, {0x11070, 0x11075}, {0x110C2, 0x110C2}, {0x1123F, 0x11241},
	{0x11380, 0x11389}, {0x1138B, 0x1138B}, {0x1138E, 0x1138E}, {0x11390, 0x113B5},
	{0x113B7, 0x113C0}, {0x113C2, 0x113C2}, {0x113C5, 0x113C5}, {0x113C7, 0x113CA},
	{0x113CC, 0x113D5}, {0x113D7, 0x113D8}, {0x113E1, 0x113E2}, {0x116B9, 0x116B9},
	{0x116D0, 0x116E3}, {0x1171E, 0x1171E}, {0x11740, 0x11746}, {0x11AB0, 0x11ABF},
	{0x11B00, 0x11B09}, {0x11BC0, 0x11BE1}, {0x11BF0, 0x11BF9}, {0x11F00, 0x11F10},
	{0x11F12, 0x11F3A}, {0x11F3E, 0x11F5A}, {0x12F90, 0x12FF2}, {0x1342F, 0x1342F},
	{0x13439, 0x13455}, {0x13460, 0x143FA}, {0x16100, 0x16139}, {0x16A70, 0x16ABE},
	{0x16AC0, 0x16AC9}, {0x16D40, 0x16D79}, {0x16FE2, 0x16FE3}, {0x18CFF, 0x18CFF},
	{0x1AFF0, 0x1AFF3}, {0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE}, {0x1B11F, 0x1B122},
	{0x1B132, 0x1B132}, {0x1B155, 0x1B155}, {0x1CC00, 0x1CCF9}, {0x1CD00, 0x1CEB3},
	{0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46}, {0x1CF50, 0x1CFC3}, {0x1D1E9, 0x1D1EA},
	{0x1D2C0, 0x1D2D3}, {0x1DF00, 0x1DF1E}, {0x1DF25, 0x1DF2A}, {0x1E030, 0x1E06D},
	{0x1E08F, 0x1E08F}, {0x1E290, 0x1E2AE}, {0x1E4D0, 0x1E4F9}, {0x1E5D0, 0x1E5FA},
	{0x1E5FF, 0x1E5FF}, {0x1E7E0, 0x1E7E6}, {0x1E7E8, 0x1E7EB}, {0x1E7ED, 0x1E7EE},
	{0x1E7F0, 0x1E7FE}, {0x1F6DC, 0x1F6DF}, {0x1F774, 0x1F776}, {0x1F77B, 0x1F77F},
	{0x1F7D9, 0x1F7D9}, {0x1F7F0, 0x1F7F0}, {0x1F8B2, 0x1F8BB}, {0x1F8C0, 0x1F8C1},
	{0x1F979, 0x1F979}, {0x1F9CC, 0x1F9CC}, {0x1FA75, 0x1FA77}, {0x1FA7B, 0x1FA7C},
	{0x1FA87, 0x1FA89}, {0x1FA8F, 0x1FA8F}, {0x1FAA9, 0x1FAAF}, {0x1FAB7, 0x1FABF},
	{0x1FAC3, 0x1FAC6}, {0x1FACE, 0x1FACF}, {0x1FAD7, 0x1FADC}, {0x1FADF, 0x1FAE9},
	{0x1FAF0, 0x1FAF8}, {0x1FBCB, 0x1FBEF}, {0x2A6DE, 0x2A6DF}, {0x2B735, 0x2B739},
	{0x2EBF0, 0x2EE5D}, {0x31350, 0x323AF},
}

func changed(r rune) bool {
	for _, c := range unicodeChanged {
		if c[0] <= r && r <= c[1] {
			return true
		}
	}
	return false
}

func (g *gen) randChar() string { return g.pick(inputChars) }

func (g *gen) mutate(s string) string {
	rs := []rune(s)
	i := 0
	if len(rs) > 0 {
		i = g.r.Intn(len(rs) + 1)
	}
	switch g.r.Intn(3) {
	case 0: // insert
		return string(rs[:i]) + g.randChar() + string(rs[i:])
	case 1: // delete
		if i < len(rs) {
			return string(rs[:i]) + string(rs[i+1:])
		}
		return s + s
	default: // replace
		if i < len(rs) {
			return string(rs[:i]) + g.randChar() + string(rs[i+1:])
		}
		return g.randChar() + s
	}
}

// sample appends to b a string that re likely matches (assertions are ignored); false if it
// gave up.
func (g *gen) sample(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > 50 || b.Len() > 300 {
		return false
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !utf8.ValidRune(r) || changed(r) {
				return false // a surrogate (see the README), or too new
			}
			if re.Flags&syntax.FoldCase != 0 && g.chance(2) {
				r = unicode.SimpleFold(r)
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false
		}
		for tries := 0; tries < 10; tries++ {
			i := 2 * g.r.Intn(len(re.Rune)/2)
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > 200 && g.chance(2) {
				hi = lo + 200
			}
			r := lo + rune(g.r.Intn(int(hi-lo)+1))
			// Only code points Unicode 13 (Go 1.19) assigned: newer ones may be classified
			// differently by the regex crate's newer tables.
			if utf8.ValidRune(r) && unicode.In(r, assigned...) && !changed(r) {
				b.WriteRune(r)
				return true
			}
		}
		return false
	case syntax.OpAnyCharNotNL:
		c := g.randChar()
		if c == "\n" {
			c = "a"
		}
		b.WriteString(c)
	case syntax.OpAnyChar:
		b.WriteString(g.randChar())
	case syntax.OpBeginLine, syntax.OpEndLine:
		if g.chance(3) {
			b.WriteString("\n")
		}
	case syntax.OpCapture:
		return g.sample(b, re.Sub[0], depth+1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		min, max := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			min, max = 0, -1
		case syntax.OpPlus:
			min, max = 1, -1
		case syntax.OpQuest:
			min, max = 0, 1
		}
		if max < 0 {
			max = min + 3
		}
		n := min
		if max > min {
			n += g.r.Intn(max - min + 1)
		}
		for ; n > 0; n-- {
			if !g.sample(b, re.Sub[0], depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !g.sample(b, sub, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return g.sample(b, re.Sub[g.r.Intn(len(re.Sub))], depth+1)
	}
	return true
}
