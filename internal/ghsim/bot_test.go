package ghsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/ghsim"
)

const (
	botLogin = "dfiu[bot]"
	botID    = 41898282
	botEmail = "41898282+dfiu[bot]@users.noreply.github.com"
)

// TestBotToken: a GitHub App installation token is its app's bot. The
// viewer answers the bot's login and databaseId; the commits it makes,
// by createCommitOnBranch and by a contents PUT, are authored by the bot's
// noreply address, and GitActor.user is null for them (the bot is no
// User), while a user's commit names the user.
func TestBotToken(t *testing.T) {
	t.Parallel()
	sim := newConfSim(t, ghsim.Seed{
		Tokens: []ghsim.SeedToken{{Token: "app-token", Login: botLogin, Bot: true, DatabaseID: botID, Default: "write"}},
		Repos:  []ghsim.SeedRepo{{Name: "acme/app", Files: map[string]string{"Dockerfile": "FROM alpine:3.19\n"}}},
	})

	_, ans := sim.postGraphQL(t, "app-token", `{ viewer { login databaseId } }`, nil)
	var viewer struct {
		Login      string `json:"login"`
		DatabaseID int64  `json:"databaseId"`
	}
	if err := json.Unmarshal(ans.Data["viewer"], &viewer); err != nil || viewer.Login != botLogin || viewer.DatabaseID != botID {
		t.Errorf("viewer = %s (%v), want login %q and databaseId %d", ans.Data["viewer"], err, botLogin, botID)
	}

	_, ans = sim.postGraphQL(t, "app-token", `{ r: repository(owner: "acme", name: "app") { defaultBranchRef { target { oid } } } }`, nil)
	head := jsonString(t, ans.Data["r"], "defaultBranchRef", "target", "oid")
	_, ans = sim.postGraphQL(t, "app-token", `mutation($oid: GitObjectID!) {
	  c: createCommitOnBranch(input: {
	    branch: {repositoryNameWithOwner: "acme/app", branchName: "main"},
	    message: {headline: "Bump alpine to 3.20"},
	    fileChanges: {additions: [{path: "Dockerfile", contents: "RlJPTSBhbHBpbmU6My4yMAo="}]},
	    expectedHeadOid: $oid
	  }) { commit { oid author { name email user { login } } } }
	}`, map[string]any{"oid": head})
	if len(ans.Errors) != 0 {
		t.Fatalf("createCommitOnBranch with the bot token: %+v", ans.Errors)
	}
	t.Logf("%s", ans.Data["c"])
	checkAuthor(t, "createCommitOnBranch's commit", ans.Data["c"], "commit", "author")
	checkHeadAuthor(t, sim, "app-token", "after createCommitOnBranch", botLogin, botEmail, "")

	// A contents PUT by the bot.
	body := `{"message":"Store","content":"e30K","branch":"main"}`
	req, _ := http.NewRequest(http.MethodPut, sim.ts.URL+"/repos/acme/app/contents/store.json", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := sim.httpClient("app-token").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT contents with the bot token = %d: %s", resp.StatusCode, clip(raw))
	}
	var put struct {
		Commit struct {
			Author struct{ Name, Email string } `json:"author"`
		} `json:"commit"`
	}
	if err := json.Unmarshal(raw, &put); err != nil || put.Commit.Author.Name != botLogin || put.Commit.Author.Email != botEmail {
		t.Errorf("PUT contents commit author = %+v (%v), want %s <%s>", put.Commit.Author, err, botLogin, botEmail)
	}
	checkHeadAuthor(t, sim, "app-token", "after the contents PUT", botLogin, botEmail, "")

	// A user's commit names the user.
	_, ans = sim.postGraphQL(t, sim.token, `{ viewer { login } }`, nil)
	admin := jsonString(t, ans.Data["viewer"], "login")
	_, ans = sim.postGraphQL(t, sim.token, `{ r: repository(owner: "acme", name: "app") { defaultBranchRef { target { oid } } } }`, nil)
	head = jsonString(t, ans.Data["r"], "defaultBranchRef", "target", "oid")
	_, ans = sim.postGraphQL(t, sim.token, `mutation($oid: GitObjectID!) {
	  c: createCommitOnBranch(input: {branch: {repositoryNameWithOwner: "acme/app", branchName: "main"},
	    message: {headline: "docs"}, fileChanges: {additions: [{path: "README.md", contents: "aGkK"}]}, expectedHeadOid: $oid}) { commit { oid } }
	}`, map[string]any{"oid": head})
	if len(ans.Errors) != 0 {
		t.Fatalf("createCommitOnBranch with the user token: %+v", ans.Errors)
	}
	checkHeadAuthor(t, sim, sim.token, "after a user's commit", admin, "", admin)

	// The bot is no User: user(login:) does not find it, and GET /user
	// refuses an installation token.
	_, ans = sim.postGraphQL(t, "app-token", `{ u: user(login: "dfiu[bot]") { id } }`, nil)
	if typ, _, ok := ans.errorFor("u"); !ok || typ != "NOT_FOUND" {
		t.Errorf("user(login: %q): error type %q (%v), want NOT_FOUND", botLogin, typ, ok)
	}
	resp, err = sim.httpClient("app-token").Get(sim.ts.URL + "/user")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(raw, []byte("Resource not accessible by integration")) {
		t.Errorf("GET /user with the bot token = %d %s, want 403 Resource not accessible by integration", resp.StatusCode, clip(raw))
	}
	sim.requireValidated(t, 2)
}

// checkAuthor checks that the GitActor at path in raw is the bot, with no
// user.
func checkAuthor(t *testing.T, what string, raw json.RawMessage, path ...string) {
	t.Helper()
	if name, email := jsonString(t, raw, append(path, "name")...), jsonString(t, raw, append(path, "email")...); name != botLogin || email != botEmail {
		t.Errorf("%s: author %s <%s>, want %s <%s>", what, name, email, botLogin, botEmail)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		v, _ = v[p].(map[string]any)
	}
	if u, ok := v["user"]; !ok || u != nil {
		t.Errorf("%s: author.user = %v (present %v), want null", what, u, ok)
	}
}

// checkHeadAuthor reads main's head author as the Action does and checks
// its name, email (if wantEmail is set) and user login ("" for null).
func checkHeadAuthor(t *testing.T, sim *confSim, token, when, wantName, wantEmail, wantUser string) {
	t.Helper()
	_, ans := sim.postGraphQL(t, token, `{ r: repository(owner: "acme", name: "app") {
	  b: ref(qualifiedName: "refs/heads/main") { target { ... on Commit { author { email name user { login } } } } } } }`, nil)
	var r struct {
		B struct {
			Target struct {
				Author struct {
					Email, Name string
					User        *struct{ Login string }
				}
			}
		}
	}
	if err := json.Unmarshal(ans.Data["r"], &r); err != nil {
		t.Fatalf("%s: decoding %s: %v", when, ans.Data["r"], err)
	}
	a := r.B.Target.Author
	login := ""
	if a.User != nil {
		login = a.User.Login
	}
	if a.Name != wantName || (wantEmail != "" && a.Email != wantEmail) || login != wantUser {
		t.Errorf("%s: head author %q <%s> user %q, want %q <%s> user %q", when, a.Name, a.Email, login, wantName, wantEmail, wantUser)
	}
}

// TestSeedBotTokenErrors: a bot's login must be "slug[bot]", its
// databaseId free, and only a bot token has a databaseId.
func TestSeedBotTokenErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		tok  ghsim.SeedToken
		want string
	}{
		{"login without [bot]", ghsim.SeedToken{Token: "x", Login: "dfiu", Bot: true}, `want "slug[bot]"`},
		{"databaseId on a user token", ghsim.SeedToken{Token: "x", Login: "alice", DatabaseID: 5}, "databaseId is only for a bot token"},
		{"databaseId taken", ghsim.SeedToken{Token: "x", Login: "other[bot]", Bot: true, DatabaseID: botID}, "belongs to dfiu[bot]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghsim.New(ghsim.Options{})
			if err := srv.Seed(ghsim.Seed{Tokens: []ghsim.SeedToken{{Token: "a", Login: botLogin, Bot: true, DatabaseID: botID}}}); err != nil {
				t.Fatal(err)
			}
			err := srv.Seed(ghsim.Seed{Tokens: []ghsim.SeedToken{tt.tok}})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.tok.Login) {
				t.Errorf("Seed(%+v) = %v, want an error naming %q and saying %q", tt.tok, err, tt.tok.Login, tt.want)
			}
		})
	}
}
