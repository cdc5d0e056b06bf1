package registry_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/dfiu/dfiu/internal/registry"
	"github.com/dfiu/dfiu/internal/registry/registrytest"
)

// newClient returns a client whose Docker config is dir/config.json; an
// empty dockerConfig leaves no config file at all.
func newClient(t *testing.T, opts registry.Options, dockerConfig string) *registry.Client {
	t.Helper()
	dir := t.TempDir()
	if dockerConfig != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(dockerConfig), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts.DockerConfigDir = dir
	c, err := registry.New(opts)
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	return c
}

// dockerLogin is a config.json as `docker login host` writes it.
func dockerLogin(host, user, pass string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
}

func startRegistry(t *testing.T, opts registrytest.Options) *registrytest.Registry {
	t.Helper()
	reg := registrytest.Start(opts)
	t.Cleanup(reg.Close)
	return reg
}

func pushImage(t *testing.T, reg *registrytest.Registry, repo, tag string) string {
	t.Helper()
	d, err := reg.PushImage(repo, tag, 1)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestResolveImage(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{})
	want := pushImage(t, reg, "acme/base", "1.0")
	c := newClient(t, registry.Options{}, "")
	image := reg.Host + "/acme/base"

	got, err := c.Resolve(context.Background(), image, "1.0")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != want {
		t.Errorf("Resolve = %s, want the pushed image's digest %s", got, want)
	}
	// A public lookup costs the ping and one HEAD.
	wantReqs := []registrytest.Request{
		{Method: "GET", Path: "/v2/"},
		{Method: "HEAD", Path: "/v2/acme/base/manifests/1.0"},
	}
	if diff := cmp.Diff(wantReqs, reg.Requests()); diff != "" {
		t.Errorf("requests of one lookup (-want +got):\n%s", diff)
	}
	if err := c.Verify(context.Background(), image, "1.0"); err != nil {
		t.Errorf("Verify of a pushed tag: %v", err)
	}
}

func TestResolveIndexDigest(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{})
	idx, err := reg.PushIndex("acme/multi", "2.0", 7)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, registry.Options{}, "")

	got, err := c.Resolve(context.Background(), reg.Host+"/acme/multi", "2.0")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != idx.Digest {
		t.Errorf("Resolve = %s, want the index digest %s (platform manifests %v)", got, idx.Digest, idx.Manifests)
	}
	for _, m := range idx.Manifests {
		if got == m {
			t.Errorf("Resolve returned a platform manifest's digest %s", m)
		}
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{})
	pushImage(t, reg, "acme/base", "1.0")
	c := newClient(t, registry.Options{}, "")

	for _, tc := range []struct{ image, tag string }{
		{reg.Host + "/acme/base", "1.9"}, // missing tag
		{reg.Host + "/acme/typo", "1.0"}, // missing repository
	} {
		err := c.Verify(context.Background(), tc.image, tc.tag)
		if !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Verify(%s:%s) = %v, want ErrNotFound", tc.image, tc.tag, err)
		}
		msg := err.Error()
		for _, want := range []string{tc.image + ":" + tc.tag, "registry " + reg.Host, "not found (anonymous: 404", "404", "anonymous", "check the image and tag"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		var te *transport.Error
		if !errors.As(err, &te) || te.StatusCode != 404 {
			t.Errorf("error %v does not wrap the registry's 404", err)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	c := newClient(t, registry.Options{}, "")
	for _, tc := range []struct{ image, tag, want string }{
		{"Acme/Base", "1.0", `image "Acme/Base"`},
		{"acme/base:1.0", "1.0", `image "acme/base:1.0"`},
		{"acme/base", "1.0/x", `tag "1.0/x"`},
		{"acme/base", "", `tag ""`},
	} {
		_, err := c.Resolve(context.Background(), tc.image, tc.tag)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%q, %q) = %v, want an error naming %s", tc.image, tc.tag, err, tc.want)
		}
	}
}

// TestAnonymousFirst checks that a public image is looked up without
// credentials even when the Docker config has some for its registry.
func TestAnonymousFirst(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{})
	pushImage(t, reg, "acme/base", "1.0")
	c := newClient(t, registry.Options{
		Login:       registry.Login{Username: "bob", Password: "hunter22"},
		GitHubToken: "ghs_token", GitHubTokenRegistries: []string{reg.Host},
	}, dockerLogin(reg.Host, "alice", "s3cret"))

	if err := c.Verify(context.Background(), reg.Host+"/acme/base", "1.0"); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	reqs := reg.Requests()
	if len(reqs) == 0 {
		t.Fatal("the registry saw no request")
	}
	for _, r := range reqs {
		if r.Authorization {
			t.Errorf("%s %s carried credentials (user %q); a public image must be looked up anonymously", r.Method, r.Path, r.Username)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	const user, pass = "alice", "s3cret-pw"
	reg := startRegistry(t, registrytest.Options{Username: user, Password: pass})
	want := pushImage(t, reg, "acme/private", "1.0")
	image := reg.Host + "/acme/private"

	cases := []struct {
		name   string
		opts   registry.Options
		config string
	}{
		{"docker config", registry.Options{}, dockerLogin(reg.Host, user, pass)},
		{"docker config with a http:// key", registry.Options{}, dockerLogin("http://"+reg.Host, user, pass)},
		{"login", registry.Options{Login: registry.Login{Username: user, Password: pass}}, ""},
		{"login for this registry", registry.Options{Login: registry.Login{Registry: reg.Host, Username: user, Password: pass}}, ""},
		{"login after refused docker config", registry.Options{Login: registry.Login{Username: user, Password: pass}}, dockerLogin(reg.Host, "mallory", "stale")},
		{"github token", registry.Options{GitHubToken: pass, GitHubActor: user, GitHubTokenRegistries: []string{reg.Host}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts, tc.config)
			got, err := c.Resolve(context.Background(), image, "1.0")
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != want {
				t.Errorf("Resolve = %s, want %s", got, want)
			}
		})
	}

	// A registry that hides the private repository from anonymous
	// clients behind a 404.
	hidden := startRegistry(t, registrytest.Options{Username: user, Password: pass, Hide: true})
	wantHidden := pushImage(t, hidden, "acme/private", "1.0")
	c := newClient(t, registry.Options{}, dockerLogin(hidden.Host, user, pass))
	if got, err := c.Resolve(context.Background(), hidden.Host+"/acme/private", "1.0"); err != nil || got != wantHidden {
		t.Errorf("Resolve of a repository hidden behind 404 = %s, %v; want %s", got, err, wantHidden)
	}

	// The requests of the first case: anonymous first, then alice.
	reg2 := startRegistry(t, registrytest.Options{Username: user, Password: pass})
	pushImage(t, reg2, "acme/private", "1.0")
	c = newClient(t, registry.Options{}, dockerLogin(reg2.Host, user, pass))
	if err := c.Verify(context.Background(), reg2.Host+"/acme/private", "1.0"); err != nil {
		t.Fatal(err)
	}
	reqs := reg2.Requests()
	if len(reqs) < 2 || reqs[0].Authorization || reqs[len(reqs)-1].Username != user {
		t.Errorf("requests %+v: want an anonymous one first and the last as %q", reqs, user)
	}
}

func TestRefusedCredentials(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{Username: "alice", Password: "right-pw"})
	pushImage(t, reg, "acme/private", "1.0")
	image := reg.Host + "/acme/private"

	t.Run("anonymous only", func(t *testing.T) {
		c := newClient(t, registry.Options{}, "")
		err := c.Verify(context.Background(), image, "1.0")
		if !errors.Is(err, registry.ErrUnauthorized) {
			t.Fatalf("Verify = %v, want ErrUnauthorized", err)
		}
		for _, want := range []string{image + ":1.0", "registry " + reg.Host, "anonymous: 401", "needs credentials"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "wrong-pw-1234"
		c := newClient(t, registry.Options{
			Login:       registry.Login{Username: "bob", Password: wrong},
			GitHubToken: "ghs_secrettoken", GitHubTokenRegistries: []string{reg.Host},
		}, dockerLogin(reg.Host, "carol", "docker-pw-5678"))
		err := c.Verify(context.Background(), image, "1.0")
		if !errors.Is(err, registry.ErrUnauthorized) {
			t.Fatalf("Verify = %v, want ErrUnauthorized", err)
		}
		msg := err.Error()
		for _, want := range []string{
			"registry " + reg.Host, "access refused", "anonymous: 401",
			`(user "carol"): 401`, `registry username "bob": 401`, `GitHub token (user "x-access-token"): 401`,
			"check that one of the credentials tried can pull the image",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		for _, secret := range []string{wrong, "docker-pw-5678", "ghs_secrettoken", base64.StdEncoding.EncodeToString([]byte("carol:docker-pw-5678"))} {
			if strings.Contains(msg, secret) {
				t.Errorf("error %q contains the secret %q", msg, secret)
			}
		}
	})

	t.Run("login for another registry", func(t *testing.T) {
		c := newClient(t, registry.Options{Login: registry.Login{Registry: "registry.example.com", Username: "alice", Password: "right-pw"}}, "")
		before := len(reg.Requests())
		if err := c.Verify(context.Background(), image, "1.0"); !errors.Is(err, registry.ErrUnauthorized) {
			t.Fatalf("Verify = %v, want ErrUnauthorized", err)
		}
		for _, r := range reg.Requests()[before:] {
			if r.Authorization {
				t.Errorf("%s %s carried credentials meant for another registry", r.Method, r.Path)
			}
		}
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{Delay: time.Hour})
	c := newClient(t, registry.Options{Timeout: 50 * time.Millisecond}, "")
	err := c.Verify(context.Background(), reg.Host+"/acme/base", "1.0")
	if !errors.Is(err, registry.ErrTimeout) {
		t.Fatalf("Verify against a registry that never answers = %v, want ErrTimeout", err)
	}
	for _, want := range []string{"timed out", "no answer within 50ms", "registry " + reg.Host} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, registrytest.Options{Delay: time.Hour})
	c := newClient(t, registry.Options{}, "")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { // cancel once the registry holds a request
		for len(reg.Requests()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := c.Verify(ctx, reg.Host+"/acme/base", "1.0")
	if !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrTimeout) || errors.Is(err, registry.ErrUnreachable) {
		t.Errorf("Verify with a canceled context = %v, want context.Canceled, neither a timeout nor an unreachable registry", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close() // nothing listens there now

	c := newClient(t, registry.Options{}, dockerLogin(host, "alice", "pw-not-tried"))
	err = c.Verify(context.Background(), host+"/acme/base", "1.0")
	if !errors.Is(err, registry.ErrUnreachable) {
		t.Fatalf("Verify against a closed port = %v, want ErrUnreachable", err)
	}
	msg := err.Error()
	for _, want := range []string{host + "/acme/base:1.0", "registry unreachable", "connection refused", "check the registry's host name and port"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "alice") {
		t.Errorf("error %q: credentials were tried although the registry could not be reached", msg)
	}
}

func TestNewRejectsBadDockerConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(`{"auths":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := registry.New(registry.Options{DockerConfigDir: dir})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("New with a truncated config.json = %v, want an error naming %s", err, path)
	}
	if _, err := registry.New(registry.Options{DockerConfigDir: t.TempDir(), Login: registry.Login{Registry: "bad host/x"}}); err == nil {
		t.Error("New accepted an invalid login registry")
	}
}

// TestHeadWithoutDigest checks the fallback for registries whose HEAD
// answers lack Docker-Content-Digest: the manifest is fetched and hashed.
func TestHeadWithoutDigest(t *testing.T) {
	t.Parallel()
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			if r.Method == http.MethodGet {
				gets.Add(1)
			}
			if r.Method == http.MethodHead {
				rec := httptest.NewRecorder()
				inner.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					if k != "Docker-Content-Digest" {
						w.Header()[k] = v
					}
				}
				w.WriteHeader(rec.Code)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/acme/base:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	gets.Store(0)

	c := newClient(t, registry.Options{}, "")
	got, err := c.Resolve(context.Background(), host+"/acme/base", "1.0")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got != want.String() {
		t.Errorf("Resolve = %s, want %s", got, want)
	}
	if gets.Load() != 1 {
		t.Errorf("%d GETs of the manifest, want 1 after the HEAD without a digest", gets.Load())
	}
}
