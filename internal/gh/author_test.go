package gh

import "testing"

func TestBranchAuthoredBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		br    *Branch
		login string
		id    int64
		want  bool
	}{
		{"user by login", &Branch{HeadAuthor: "dfiu-bot", HeadAuthorEmail: "ops@example.com"}, "dfiu-bot", 7, true},
		{"user login in another case", &Branch{HeadAuthor: "DFIU-Bot"}, "dfiu-bot", 7, true},
		{"user by noreply address", &Branch{HeadAuthorEmail: "7+dfiu-bot@users.noreply.github.com"}, "dfiu-bot", 7, true},
		{"app bot by noreply address", &Branch{HeadAuthorName: "dfiu[bot]", HeadAuthorEmail: "41898282+dfiu[bot]@users.noreply.github.com"}, "dfiu[bot]", 41898282, true},
		{"app bot on GitHub Enterprise", &Branch{HeadAuthorEmail: "12+dfiu[bot]@users.noreply.ghe.example.com"}, "dfiu[bot]", 12, true},
		{"another user", &Branch{HeadAuthor: "alice", HeadAuthorEmail: "3+alice@users.noreply.github.com"}, "dfiu[bot]", 12, false},
		{"another app's bot", &Branch{HeadAuthorEmail: "13+renovate[bot]@users.noreply.github.com"}, "dfiu[bot]", 12, false},
		{"same login, another id", &Branch{HeadAuthorEmail: "13+dfiu[bot]@users.noreply.github.com"}, "dfiu[bot]", 12, false},
		{"same name, not a noreply address", &Branch{HeadAuthorName: "dfiu[bot]", HeadAuthorEmail: "12+dfiu[bot]@example.com"}, "dfiu[bot]", 12, false},
		{"name alone proves nothing", &Branch{HeadAuthorName: "dfiu[bot]"}, "dfiu[bot]", 12, false},
		{"viewer id unknown", &Branch{HeadAuthorEmail: "0+dfiu[bot]@users.noreply.github.com"}, "dfiu[bot]", 0, false},
		{"viewer unknown", &Branch{HeadAuthor: ""}, "", 0, false},
		{"no branch", nil, "dfiu[bot]", 12, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.br.AuthoredBy(tt.login, tt.id); got != tt.want {
				t.Errorf("%+v.AuthoredBy(%q, %d) = %v, want %v", tt.br, tt.login, tt.id, got, tt.want)
			}
		})
	}
}
