// Package demo holds the organisation `dfiu demo` runs against: about
// twenty repositories of a demo org "acme", one per interesting case, and
// a store repository. The end-to-end tests use it too.
package demo

import (
	"fmt"
	"strings"

	"github.com/dfiu/dfiu/internal/ghsim"
	"github.com/dfiu/dfiu/internal/ghsim/state"
	"github.com/dfiu/dfiu/internal/registry/registrytest"
)

// Names used by the demo.
const (
	Org       = "acme"
	Image     = "ghcr.io/acme/base"
	OldTag    = "1.2"
	NewTag    = "1.3"
	Store     = "acme/dfiu-store"
	BotLogin  = "dfiu-bot"
	Branch    = "dfiu/ghcr.io-acme-base"
	Exclude   = "acme/legacy-*"
	Label     = "dependencies"
	NodeImage = "node"
	NodeTag   = "22"
	// NodeAlpineTag is the store's tag of node's alpine lineage: all mode
	// moves node:20 and node:20-alpine of acme/fullstack in one pull
	// request.
	NodeAlpineTag = "22-alpine"
)

// Case is one seeded repository and what dfiu should do with it in parent
// mode (Image → NewTag), for tests and for the demo's legend.
type Case struct {
	Repo   string // name in Org
	What   string // what the repository shows
	Action string // the expected action in parent mode
	Reason string // a fragment of the expected reason
}

// Cases lists the repositories in parent mode's expected outcome.
var Cases = []Case{
	{"api", "plain FROM", "created", ""},
	{"web", "multi-stage build (node, then base)", "created", ""},
	{"worker", "image from a global ARG", "created", ""},
	{"stack", "compose file", "created", ""},
	{"services", "several Dockerfiles and a Containerfile in subdirectories", "created", ""},
	{"windows-app", "CRLF line endings", "created", ""},
	{"fullstack", "uses two images (base, and node in two lineages: 20 and 20-alpine)", "created", ""},
	{"automerge", "auto-merge allowed: requested, already clean", "created", "clean status"},
	{"supersede", "an open dfiu PR for an older tag", "updated", ""},
	{"current", "already on the new tag", "unchanged", ""},
	{"pinned", "pinned by digest: re-pinned to the registry's digest of 1.3", "created", ""},
	{"rebuilt", "pinned to 1.3's digest: current until 1.3 is rebuilt", "unchanged", ""},
	{"optout", "opted out with # no-dfiu", "skipped", "opted out"},
	{"edge", "on a newer tag: downgrade refused", "skipped", "would downgrade"},
	{"alpine", "another lineage (1.2-alpine): left alone", "skipped", "variant alpine differs"},
	{"floating", "a floating tag (latest): left alone", "skipped", "floating tag"},
	{"archive", "archived", "skipped", "archived"},
	{"api-fork", "a fork", "skipped", "fork"},
	{"legacy-billing", "excluded by exclude-repos", "skipped", "excluded"},
	{"partner-config", "the token may only read it: fails (exclude-repos would leave it out)", "failed", "no push permission"},
	{"handmade", "a person pushed to the dfiu branch", "skipped", "not forcing"},
	{"docs", "mentions the image in a comment only", "skipped", "no file references"},
}

// oldDigest is the digest acme/pinned pins, of a build the registry no
// longer has.
const oldDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// Seed returns the demo organisation. token is the bot's token: it writes
// everywhere except acme/partner-config, which it may only read. digest is
// what the demo's registry holds for Image:NewTag (StartRegistry), which
// acme/rebuilt pins.
func Seed(token, digest string) ghsim.Seed {
	base := func(tag string) string { return Image + ":" + tag }
	repo := func(name string, files map[string]string) ghsim.SeedRepo {
		return ghsim.SeedRepo{Name: Org + "/" + name, Files: files, Labels: []string{Label}}
	}
	s := ghsim.Seed{
		Orgs:   []string{Org},
		Users:  []string{"alice", "bob"},
		Teams:  []ghsim.SeedTeam{{Org: Org, Slug: "platform"}},
		Tokens: []ghsim.SeedToken{{Token: token, Login: BotLogin, Default: "write", Repos: map[string]string{Org + "/partner-config": "read"}}},
		Repos: []ghsim.SeedRepo{
			repo("api", map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\nRUN make install\nCMD [\"/usr/local/bin/api\"]\n", "README.md": "# api\n"}),
			repo("web", map[string]string{"Dockerfile": "FROM node:20 AS build\nWORKDIR /src\nCOPY . .\nRUN npm ci && npm run build\n\nFROM " + base(OldTag) + "\nCOPY --from=build /src/dist /srv/www\n"}),
			repo("worker", map[string]string{"Dockerfile": "ARG BASE=" + base(OldTag) + "\nFROM ${BASE}\nCOPY worker /usr/local/bin/\n"}),
			repo("stack", map[string]string{"docker-compose.yml": "services:\n  app:\n    image: " + base(OldTag) + "\n    ports: [\"8080:8080\"]\n  db:\n    image: postgres:16\n"}),
			repo("services", map[string]string{
				"services/auth/Dockerfile":         "FROM " + base(OldTag) + "\nCOPY auth /auth\n",
				"services/billing/Dockerfile.prod": "FROM " + base("1.1") + " AS run\nCOPY billing /billing\n",
				"tools/Containerfile":              "FROM " + base(OldTag) + "\n",
			}),
			repo("windows-app", map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\r\nRUN echo crlf\r\n"}),
			repo("fullstack", map[string]string{
				"Dockerfile":   "FROM " + base(OldTag) + "\nCOPY app /app\n",
				"compose.yaml": "services:\n  frontend:\n    image: node:20\n  ssr:\n    image: node:20-alpine\n  backend:\n    build: .\n",
			}),
			{Name: Org + "/automerge", AutoMergeAllowed: true, Labels: []string{Label}, Files: map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\n"}},
			repo("supersede", map[string]string{"Dockerfile": "FROM " + base("1.1") + "\n"}),
			repo("current", map[string]string{"Dockerfile": "FROM " + base(NewTag) + "\n"}),
			repo("pinned", map[string]string{"Dockerfile": "FROM " + base(OldTag) + "@" + oldDigest + "\n"}),
			repo("rebuilt", map[string]string{"Dockerfile": "FROM " + base(NewTag) + "@" + digest + "\nRUN ./serve\n"}),
			repo("optout", map[string]string{"Dockerfile": "# no-dfiu\nFROM " + base("1.0") + "\n"}),
			repo("edge", map[string]string{"Dockerfile": "FROM " + base("2.0") + "\n"}),
			repo("alpine", map[string]string{"Dockerfile": "FROM " + base(OldTag+"-alpine") + "\nRUN apk add --no-cache curl\n"}),
			repo("floating", map[string]string{"compose.yaml": "services:\n  app:\n    image: " + base("latest") + "\n"}),
			{Name: Org + "/archive", Archived: true, Files: map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\n"}},
			repo("legacy-billing", map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\n"}),
			repo("partner-config", map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\n"}),
			{Name: Org + "/handmade", Files: map[string]string{"Dockerfile": "FROM " + base(OldTag) + "\n"},
				Branches: []ghsim.SeedBranch{{Name: Branch, Files: map[string]string{"Dockerfile": "FROM " + base(NewTag) + "\nRUN ./extra-step.sh\n"}}},
				Pulls:    []ghsim.SeedPull{{Head: Branch, Title: "Bump base, with an extra step", Author: "alice"}}},
			repo("docs", map[string]string{"Dockerfile": "FROM alpine:3.20\n# Production images use ghcr.io/acme/base instead.\n"}),
			{Name: Store, Files: map[string]string{"store.json": "{\n  \"images\": {\n    \"" + Image + "\": \"" + OldTag + "\",\n    \"" + NodeImage + "\": \"" + NodeTag + "\"\n  },\n" +
				"  \"lineages\": {\n    \"" + NodeImage + "\": {\n      \"alpine\": \"" + NodeAlpineTag + "\"\n    }\n  }\n}\n"}},
		},
	}
	// The fork is seeded after its parent.
	s.Repos = append(s.Repos, ghsim.SeedRepo{Name: Org + "/api-fork", ForkOf: Org + "/api"})
	return s
}

// Populate seeds srv with the demo organisation and then, as the bot,
// opens the older dfiu pull request that parent mode supersedes.
func Populate(srv *ghsim.Server, token, digest string) error {
	return PopulateSeed(srv, Seed(token, digest), token)
}

// PopulateSeed is Populate with a seed derived from Seed(token, digest): the
// end-to-end tests rename its files (hostile names) and run the same
// scenarios. The older pull request changes the supersede repository's
// one file, whatever its path.
func PopulateSeed(srv *ghsim.Server, seed ghsim.Seed, token string) error {
	if err := srv.Seed(seed); err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	w := srv.World()
	bot, ok := w.TokenFor(token)
	if !ok {
		return fmt.Errorf("seeding the demo: token for %s missing", BotLogin)
	}
	r, err := w.RepoByName(bot, Org, "supersede")
	if err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	head, err := w.Ref(bot, r.ID, "refs/heads/"+r.DefaultBranch)
	if err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	if _, err := w.CreateRef(bot, r.ID, "refs/heads/"+Branch, head.OID); err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	path := "Dockerfile"
	for _, sr := range seed.Repos {
		if sr.Name == Org+"/supersede" {
			for p := range sr.Files {
				path = p
			}
		}
	}
	if _, err := w.CommitOnBranch(bot, r.ID, state.CommitInput{
		Branch: Branch, ExpectedHeadOID: head.OID, Headline: "Bump " + Image + " to " + OldTag,
		Additions: map[string][]byte{path: []byte("FROM " + Image + ":" + OldTag + "\n")},
	}); err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	if _, err := w.CreatePullRequest(bot, r.ID, state.NewPullRequest{
		Base: r.DefaultBranch, Head: Branch, Title: "Bump " + Image + " to " + OldTag,
		Body: "Opened by dfiu for " + OldTag + ".",
	}); err != nil {
		return fmt.Errorf("seeding the demo: %w", err)
	}
	return nil
}

// Legend returns a short table of the demo's repositories and what each
// shows.
func Legend() string {
	var b strings.Builder
	for _, c := range Cases {
		fmt.Fprintf(&b, "  %-20s %s\n", Org+"/"+c.Repo, c.What)
	}
	return b.String()
}

// The demo's registry content: each tag is a small random image drawn from
// its seed, so digests are the same on every run.
var registryTags = []struct {
	repo, tag string
	seed      int64
}{
	{"acme/base", "1.0", 100}, {"acme/base", "1.1", 110}, {"acme/base", OldTag, 120},
	{"acme/base", NewTag, 130}, {"acme/base", "1.4", 140}, {"acme/base", "2.0", 200},
	{"library/node", NodeTag, 2200}, {"library/ubuntu", "24.04", 2404},
}

// rebuildSeed draws NewTag's rebuilt image.
const rebuildSeed = 131

// StartRegistry runs the demo's container registry in-process on loopback
// and pushes the tags the demo and the tests use: Image 1.0 to 1.4 and
// 2.0, node:22 and ubuntu:24.04 (Docker Hub's library/ repositories). It
// returns the registry and the digest of Image:NewTag. Send registry
// requests to it with its Transport, so that the images keep their names.
func StartRegistry() (*registrytest.Registry, string, error) {
	reg := registrytest.Start(registrytest.Options{})
	var digest string
	for _, t := range registryTags {
		d, err := reg.PushImage(t.repo, t.tag, t.seed)
		if err != nil {
			reg.Close()
			return nil, "", fmt.Errorf("demo registry: %w", err)
		}
		if t.repo == "acme/base" && t.tag == NewTag {
			digest = d
		}
	}
	return reg, digest, nil
}

// Rebuild pushes Image:NewTag again with other content, as a publisher
// does after a security fix that keeps the tag, and returns the new
// digest.
func Rebuild(reg *registrytest.Registry) (string, error) {
	d, err := reg.PushImage("acme/base", NewTag, rebuildSeed)
	if err != nil {
		return "", fmt.Errorf("demo registry: %w", err)
	}
	return d, nil
}
