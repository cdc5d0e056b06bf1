package safe

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Dockerfile", "Dockerfile"},
		{"x\n::error title=INJECTED::pwned\n/Dockerfile", `x\n::error title=INJECTED::pwned\n/Dockerfile`},
		{"::error::pwned", `\x3a:error::pwned`},
		{"  ::warning::x", `  \x3a:warning::x`},
		{"\t::x", "\t\\x3a:x"},
		{"##[error]x", `\x23#[error]x`},
		{"a ##[error] in the middle", "a ##[error] in the middle"},
		{"a\rb", `a\rb`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"v1-\xe9t\xe9", `v1-\xe9t\xe9`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"line\u2028sep", `line\u2028sep`},
		{"\u0085next", `\u0085next`},
		{"\x7f", `\x7f`},
		{"\ufeffFROM x", "\ufeffFROM x"},
		{"héllo 世界 → ✓", "héllo 世界 → ✓"},
	} {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLines(t *testing.T) {
	in := "-FROM a\r\n+FROM b\r\n ::error::x\n sneaky\rline\n##[group]x"
	want := "-FROM a\r\n+FROM b\r\n \\x3a:error::x\n sneaky\\rline\n\\x23#[group]x"
	if got := Lines(in); got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	for _, line := range strings.Split(strings.ReplaceAll(Lines(in), "\r\n", "\n"), "\n") {
		if strings.ContainsRune(line, '\r') {
			t.Errorf("line %q holds a CR", line)
		}
	}
}

func TestMarkdown(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"acme/api", "acme/api"},
		{"Dockerfile:1: pinned", "Dockerfile:1: pinned"},
		{"1.2 → 1.3", `1\.2 → 1.3`},
		{"no push permission (READ)", "no push permission (READ)"},
		{"<img src=x onerror=alert(1)>", `\<img src=x onerror=alert(1)\>`},
		{"a|b", `a\|b`},
		{"**bold** _it_ `code` [l](u) ~~s~~ $x$ @user :smile: &amp;", `\*\*bold\*\* \_it\_ \` + "`code\\`" + ` \[l\](u) \~\~s\~\~ \$x\$ \@user :smile: \&amp;`},
		{"# heading", `\# heading`},
		{"- item", `\- item`},
		{"12) x", `12\) x`},
		{"x\n# h", `x\\n# h`},
		{`back\slash`, `back\\slash`},
	} {
		if got := Markdown(tt.in); got != tt.want {
			t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInline(t *testing.T) {
	if got := Inline("1. x - y"); got != "1. x - y" {
		t.Errorf("Inline escapes block markers: %q", got)
	}
	if got := Inline("<b>|</b>"); got != `\<b\>\|\</b\>` {
		t.Errorf("Inline = %q", got)
	}
}

func TestCode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ubuntu", "`ubuntu`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"", "`  `"},
		{"a\nb", "`a\\nb`"},
	} {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Cell(Code("a|b")); got != "`a\\|b`" {
		t.Errorf("Cell(Code) = %q", got)
	}
}

func TestFence(t *testing.T) {
	in := "-a\n+```\n</details><img src=x>\n+````\n"
	got := Fence("diff", in)
	if !strings.HasPrefix(got, "`````diff\n") || !strings.HasSuffix(got, "\n`````\n") {
		t.Errorf("Fence = %q", got)
	}
	if got := Fence("diff", "x"); got != "```diff\nx\n```\n" {
		t.Errorf("Fence without a final newline = %q", got)
	}
}
