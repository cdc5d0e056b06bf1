package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dfiu/dfiu/internal/config"
	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/registry/registrytest"
)

// registryPassword looks like a real secret so that a leak is easy to spot.
const registryPassword = "regSECRETpassw0rd-9f8e7d6c5b4a"

// regHarness is a small organisation on the GitHub simulator whose files
// use an image of a registry running on loopback, under its real name
// (127.0.0.1:PORT/acme/app): runs reach that registry as they would any,
// with no transport in between.
type regHarness struct {
	*harness
	registry *registrytest.Registry // not harness.reg, which would redirect
	image    string                 // 127.0.0.1:PORT/acme/app
	old      string                 // the digest of 1.2 the repositories pin, pushed first
}

func newRegHarness(t *testing.T, opts registrytest.Options) *regHarness {
	t.Helper()
	reg := registrytest.Start(opts)
	t.Cleanup(reg.Close)
	old, err := reg.PushImage("acme/app", "1.2", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.PushImage("acme/app", "1.3", 2); err != nil {
		t.Fatal(err)
	}
	image := reg.Host + "/acme/app"
	srv := ghsim.New(ghsim.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	err = srv.Seed(ghsim.Seed{
		Orgs:   []string{"acme"},
		Tokens: []ghsim.SeedToken{{Token: testToken, Login: "dfiu-bot", Default: "write"}},
		Repos: []ghsim.SeedRepo{
			{Name: "acme/plain", Files: map[string]string{"Dockerfile": "FROM " + image + ":1.2\n"}},
			{Name: "acme/pinned", Files: map[string]string{"Dockerfile": "FROM " + image + ":1.2@" + old + "\nRUN true\n"}},
			{Name: "acme/store", Files: map[string]string{"store.json": "{\"images\": {}}\n"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &regHarness{harness: &harness{t: t, srv: srv, url: ts.URL}, registry: reg, image: image, old: old}
}

func (h *regHarness) inputs(kv ...string) map[string]string {
	in := map[string]string{"mode": "parent", "image": h.image, "tag": "1.3", "store": "acme/store"}
	for i := 0; i+1 < len(kv); i += 2 {
		in[kv[i]] = kv[i+1]
	}
	return in
}

// manifestRequests counts the registry's manifest lookups.
func manifestRequests(reqs []registrytest.Request) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r.Path, "/manifests/") {
			n++
		}
	}
	return n
}

// checkNoSecret fails when the registry password appears in what a run
// wrote (the ::add-mask:: line aside, which the runner swallows).
func checkNoSecret(t *testing.T, r run, secret string) {
	t.Helper()
	for where, s := range map[string]string{"stderr": r.stderr, "summary": r.summary, "outputs": strings.Join(mapValues(r.outputs), "\n")} {
		if strings.Contains(s, secret) {
			t.Errorf("the registry password appears in %s", where)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if line != "::add-mask::"+secret && strings.Contains(line, secret) {
			t.Errorf("the registry password appears in stdout: %q", line)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestVerifyAndResolveWithOneLookup(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{})
	reg := h.registry
	r := h.exec(nil, h.actionEnv(h.inputs()), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if n := manifestRequests(reg.Requests()); n != 1 {
		t.Errorf("%d manifest requests, want 1 (verify and resolve share one lookup)", n)
	}
	prs := pullRequests(t, r)
	if p := prs["acme/pinned "+h.image]; p.Action != "created" || !strings.HasPrefix(p.To, "1.3@sha256:") {
		t.Errorf("pinned = %+v, want created and re-pinned to 1.3's digest", p)
	}
	if p := prs["acme/plain "+h.image]; p.Action != "created" || p.To != "1.3" {
		t.Errorf("plain = %+v, want created, to 1.3 (unpinned stays unpinned)", p)
	}
	var st struct{ Images, Digests map[string]string }
	files, _ := h.srv.RepoFiles("acme", "store", "")
	if err := json.Unmarshal([]byte(files["store.json"]), &st); err != nil {
		t.Fatal(err)
	}
	if st.Images[h.image] != "1.3" || !strings.HasPrefix(st.Digests[h.image+":1.3"], "sha256:") {
		t.Errorf("store.json = %s, want the tag and its digest", files["store.json"])
	}

	// Both off: no registry request at all.
	before := len(reg.Requests())
	r = h.exec(nil, h.actionEnv(h.inputs("tag", "1.4", "verify-tag", "false", "resolve-digest", "false")), true, fast())
	if r.code != ExitOK || len(reg.Requests()) != before {
		t.Errorf("verify-tag and resolve-digest false: exit %d, %d registry requests", r.code, len(reg.Requests())-before)
	}
}

func TestMissingTagWritesNothing(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{})
	before := h.srv.Stats()
	r := h.exec(nil, h.actionEnv(h.inputs("tag", "1.9")), true, fast())
	after := h.srv.Stats()
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
	if n := after.Writes - before.Writes; n != 0 {
		t.Errorf("%d writes after a missing tag, want 0", n)
	}
	host, _, _ := strings.Cut(h.image, "/")
	for _, want := range []string{"::error::verify-tag: " + h.image + ":1.9 in registry " + host + ": not found", "verify-tag: false"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestBasicAuthRegistryWithRegistryLogin(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{Username: "bot", Password: registryPassword})
	r := h.exec(nil, h.actionEnv(h.inputs("registry-username", "bot", "registry-password", registryPassword)), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "::add-mask::"+registryPassword+"\n") {
		t.Error("the registry password was not masked")
	}
	checkNoSecret(t, r, registryPassword)
	var authed bool
	for _, req := range h.registry.Requests() {
		authed = authed || strings.Contains(req.Path, "/manifests/") && req.Username == "bot"
	}
	if !authed {
		t.Errorf("no manifest request as user bot: %+v", h.registry.Requests())
	}
	if p := pullRequests(t, r)["acme/pinned "+h.image]; p.Action != "created" || !strings.HasPrefix(p.To, "1.3@sha256:") {
		t.Errorf("pinned = %+v", p)
	}

	// On the command line the password is scrubbed too.
	env := map[string]string{"GITHUB_TOKEN": testToken}
	r = h.exec([]string{"parent", "--image", h.image, "--tag", "1.9", "--orgs", "acme", "--store", "acme/store",
		"--github-api-url", h.url, "--registry-username", "bot", "--registry-password", registryPassword}, env, false, fast())
	if r.code != ExitFailure || !strings.Contains(r.stderr, `registry username "bot"`) {
		t.Errorf("missing tag with a login: exit %d, stderr %s", r.code, r.stderr)
	}
	checkNoSecret(t, r, registryPassword)
}

func TestRefusedCredentialsStopTheRun(t *testing.T) {
	t.Parallel()
	const wrong = "regWRONGsecret-0123456789"
	h := newRegHarness(t, registrytest.Options{Username: "bot", Password: registryPassword})
	before := h.srv.Stats()
	r := h.exec(nil, h.actionEnv(h.inputs("registry-username", "bot", "registry-password", wrong)), true, fast())
	if n := h.srv.Stats().Writes - before.Writes; r.code != ExitFailure || n != 0 {
		t.Errorf("exit %d, %d writes; want %d and none", r.code, n, ExitFailure)
	}
	for _, want := range []string{"access refused", "anonymous: 401 Unauthorized", `registry username "bot": 401 Unauthorized`, "verify-tag: false"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	checkNoSecret(t, r, wrong)
}

func TestSlowRegistryTimesOut(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{Delay: time.Minute})
	deps := fast()
	deps.RegistryTimeout = 200 * time.Millisecond
	before := h.srv.Stats()
	r := h.exec(nil, h.actionEnv(h.inputs()), true, deps)
	if n := h.srv.Stats().Writes - before.Writes; r.code != ExitFailure || n != 0 {
		t.Errorf("exit %d, %d writes; want %d and none", r.code, n, ExitFailure)
	}
	for _, want := range []string{h.image + ":1.3 in registry", "timed out", "verify-tag: false"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// Without verify-tag, resolve-digest alone only notes the failure.
	r = h.exec(nil, h.actionEnv(h.inputs("verify-tag", "false")), true, deps)
	if r.code != ExitOK || !strings.Contains(r.summary, "resolve-digest: ") {
		t.Errorf("resolve-digest alone: exit %d, summary:\n%s", r.code, r.summary)
	}
	if p := pullRequests(t, r)["acme/pinned "+h.image]; p.Action != "skipped" || !strings.Contains(p.Reason, "pinned by digest") {
		t.Errorf("pinned without a digest = %+v, want skipped", p)
	}
}

// storeDigests reads the store's digests.
func (h *regHarness) storeDigests(t *testing.T) map[string]string {
	t.Helper()
	var st struct{ Digests map[string]string }
	files, _ := h.srv.RepoFiles("acme", "store", "")
	if err := json.Unmarshal([]byte(files["store.json"]), &st); err != nil {
		t.Fatal(err)
	}
	return st.Digests
}

func TestRebuildInParentMode(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{})
	r := h.exec(nil, h.actionEnv(h.inputs("tag", "1.2")), true, fast())
	if p := pullRequests(t, r)["acme/pinned "+h.image]; r.code != ExitOK || p.Action != "unchanged" {
		t.Fatalf("before the rebuild: exit %d, pinned = %+v", r.code, p)
	}
	rebuilt, err := h.registry.PushImage("acme/app", "1.2", 3)
	if err != nil {
		t.Fatal(err)
	}
	r = h.exec(nil, h.actionEnv(h.inputs("tag", "1.2")), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	prs := pullRequests(t, r)
	if p := prs["acme/pinned "+h.image]; p.Action != "created" || p.From != "1.2@"+h.old || p.To != "1.2@"+rebuilt {
		t.Errorf("pinned = %+v, want created from 1.2@%s to 1.2@%s", p, h.old, rebuilt)
	}
	if p := prs["acme/plain "+h.image]; p.Action != "unchanged" {
		t.Errorf("plain = %+v, want unchanged (not pinned)", p)
	}
	files, _ := h.srv.RepoFiles("acme", "pinned", "dfiu/"+strings.NewReplacer(":", "-", "/", "-").Replace(h.image))
	if want := "FROM " + h.image + ":1.2@" + rebuilt + "\nRUN true\n"; files["Dockerfile"] != want {
		t.Errorf("pinned's branch has %q, want %q", files["Dockerfile"], want)
	}
	pulls, _ := h.srv.PullRequests("acme", "pinned")
	if len(pulls) != 1 {
		t.Fatalf("pinned has %d pull requests", len(pulls))
	}
	if want := "Re-pin " + h.image + ":1.2 (rebuilt)"; pulls[0].Title != want {
		t.Errorf("title %q, want %q", pulls[0].Title, want)
	}
	for _, want := range []string{"was rebuilt", h.old, rebuilt} {
		if !strings.Contains(pulls[0].Body, want) {
			t.Errorf("body lacks %q:\n%s", want, pulls[0].Body)
		}
	}
	if d := h.storeDigests(t)[h.image+":1.2"]; d != rebuilt {
		t.Errorf("store digest %q, want %q", d, rebuilt)
	}
}

func TestRebuildInAllMode(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{})
	rebuilt, err := h.registry.PushImage("acme/app", "1.2", 3)
	if err != nil {
		t.Fatal(err)
	}
	// The store knows the rebuild (parent mode recorded it); the files do not.
	if err := h.srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{{Name: "acme/store2", Files: map[string]string{
		"store.json": `{"images": {"` + h.image + `": "1.2"}, "digests": {"` + h.image + `:1.2": "` + rebuilt + `"}}`,
	}}}}); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"mode": "all", "store": "acme/store2", "verify-tag": "false", "resolve-digest": "false"}
	before := len(h.registry.Requests())
	r := h.exec(nil, h.actionEnv(all), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if n := len(h.registry.Requests()) - before; n != 0 {
		t.Errorf("%d registry requests with verify-tag and resolve-digest off", n)
	}
	if p := pullRequests(t, r)["acme/pinned "+h.image]; p.Action != "created" || p.To != "1.2@"+rebuilt {
		t.Errorf("pinned = %+v, want re-pinned to the store's digest %s", p, rebuilt)
	}

	// Rebuilt again, and not recorded: the registry's digest wins, with one
	// lookup for the image however many repositories use it.
	again, err := h.registry.PushImage("acme/app", "1.2", 4)
	if err != nil {
		t.Fatal(err)
	}
	before = len(h.registry.Requests())
	r = h.exec(nil, h.actionEnv(map[string]string{"mode": "all", "store": "acme/store2"}), true, fast())
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if n := manifestRequests(h.registry.Requests()[before:]); n != 1 {
		t.Errorf("%d manifest requests, want 1 for the one image", n)
	}
	if p := pullRequests(t, r)["acme/pinned "+h.image]; p.Action != "updated" || p.To != "1.2@"+again {
		t.Errorf("pinned = %+v, want updated to the registry's digest %s", p, again)
	}
	if !strings.Contains(r.summary, "rebuilt since recorded") {
		t.Errorf("summary does not say the registry's digest differs from the store's:\n%s", r.summary)
	}
}

func TestAllModeMissingTagSkipsOnlyThatImage(t *testing.T) {
	t.Parallel()
	h := newRegHarness(t, registrytest.Options{})
	other := h.registry.Host + "/acme/other"
	if _, err := h.registry.PushImage("acme/other", "1.0", 5); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Seed(ghsim.Seed{Repos: []ghsim.SeedRepo{
		{Name: "acme/uses-other", Files: map[string]string{"Dockerfile": "FROM " + other + ":0.9\n"}},
		{Name: "acme/store2", Files: map[string]string{"store.json": `{"images": {"` + h.image + `": "1.9", "` + other + `": "1.0"}}`}},
	}}); err != nil {
		t.Fatal(err)
	}
	r := h.exec(nil, h.actionEnv(map[string]string{"mode": "all", "store": "acme/store2"}), true, fast())
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
	prs := pullRequests(t, r)
	if p := prs["acme/uses-other "+other]; p.Action != "created" {
		t.Errorf("the other image's repository = %+v, want created", p)
	}
	if p, ok := prs["acme/plain "+h.image]; ok {
		t.Errorf("the missing tag's image was searched: %+v", p)
	}
	if !strings.Contains(r.stdout, "::error::not searched: verify-tag: "+h.image+":1.9 in registry") {
		t.Errorf("no error naming the image and registry:\n%s", r.stdout)
	}
}

// TestLoginGoesOnlyToTheImagesRegistry checks the scope of
// registry-username and registry-password: offered to the registry of the
// image input, never to another registry the client is asked about.
func TestLoginGoesOnlyToTheImagesRegistry(t *testing.T) {
	t.Parallel()
	mine := registrytest.Start(registrytest.Options{Username: "bot", Password: registryPassword})
	defer mine.Close()
	other := registrytest.Start(registrytest.Options{Username: "bot", Password: registryPassword})
	defer other.Close()
	for _, r := range []*registrytest.Registry{mine, other} {
		if _, err := r.PushImage("acme/app", "1.0", 9); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.FromFlags("parent", []string{"--image", mine.Host + "/acme/app", "--tag", "1.0", "--orgs", "acme",
		"--github-token", testToken, "--registry-username", "bot", "--registry-password", registryPassword}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newRegistry(cfg, func(string) string { return "" }, actionDeps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(context.Background(), mine.Host+"/acme/app", "1.0"); err != nil {
		t.Errorf("the image's registry: %v", err)
	}
	_, err = c.Resolve(context.Background(), other.Host+"/acme/app", "1.0")
	if err == nil || strings.Contains(err.Error(), registryPassword) {
		t.Errorf("another registry: err = %v, want a refusal without the password", err)
	}
	for _, req := range other.Requests() {
		if req.Authorization {
			t.Errorf("another registry was sent credentials: %+v", req)
		}
	}
}
