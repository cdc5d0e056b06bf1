package cli

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfiu/dfiu/internal/registry/registrytest"
)

// runResolve runs `dfiu rewrite args...` in-process with DOCKER_CONFIG set
// to dockerConfig and no other environment variable.
func runResolve(t *testing.T, dockerConfig string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmdEnv(t, func(k string) string {
		if k == "DOCKER_CONFIG" {
			return dockerConfig
		}
		t.Errorf("rewrite --resolve read the environment variable %q", k)
		return ""
	}, args)
}

const oldPin = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// TestRewriteResolve re-pins a same-tag rebuild with the digest the
// registry has now, through the Docker config's credentials.
func TestRewriteResolve(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(registrytest.Options{Username: "ci", Password: "pull-pw"})
	defer reg.Close()
	idx, err := reg.PushIndex("acme/base", "1.0", 3)
	if err != nil {
		t.Fatal(err)
	}
	image := reg.Host + "/acme/base"

	config := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:pull-pw"))
	if err := os.WriteFile(filepath.Join(config, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": "FROM " + image + ":1.0@" + oldPin + "\nFROM " + image + ":0.9 AS build\n",
	})

	code, stdout, stderr := runResolve(t, config, "--image", image, "--tag", "1.0", "--resolve", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "FROM " + image + ":1.0@" + idx.Digest + "\nFROM " + image + ":1.0 AS build\n"
	if got := mustRead(t, filepath.Join(dir, "Dockerfile")); got != want {
		t.Errorf("Dockerfile =\n%s\nwant\n%s", got, want)
	}
	if wantOut := "updated " + filepath.Join(dir, "Dockerfile") + "\n"; stdout != wantOut {
		t.Errorf("stdout = %q, want %q", stdout, wantOut)
	}
	if wantErr := "dfiu rewrite: resolved " + image + ":1.0 to " + idx.Digest + "\n"; stderr != wantErr {
		t.Errorf("stderr = %q, want %q", stderr, wantErr)
	}
}

func TestRewriteResolveFailsBeforeWriting(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(registrytest.Options{})
	defer reg.Close()
	if _, err := reg.PushImage("acme/base", "1.0", 1); err != nil {
		t.Fatal(err)
	}
	image := reg.Host + "/acme/base"
	dir := t.TempDir()
	content := "FROM " + image + ":1.0@" + oldPin + "\n"
	writeFiles(t, dir, map[string]string{"Dockerfile": content})

	code, stdout, stderr := runResolve(t, t.TempDir(), "--image", image, "--tag", "1.1", "--resolve", dir)
	if code != ExitFailure || stdout != "" {
		t.Errorf("a missing tag: exit %d stdout %q, want %d and no output", code, stdout, ExitFailure)
	}
	if want := "dfiu rewrite: --resolve: " + image + ":1.1 in registry " + reg.Host + ": not found"; !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", stderr, want)
	}
	if got := mustRead(t, filepath.Join(dir, "Dockerfile")); got != content {
		t.Errorf("the Dockerfile changed although the lookup failed:\n%s", got)
	}
}

// TestRewriteDigestWinsOverResolve checks that --digest makes --resolve ask
// no registry.
func TestRewriteDigestWinsOverResolve(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(registrytest.Options{})
	defer reg.Close()
	image := reg.Host + "/acme/base"
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM " + image + ":1.0@" + oldPin + "\n"})
	digest := "sha256:" + strings.Repeat("1", 64)

	code, _, stderr := runCmd(t, []string{"--image", image, "--tag", "1.0", "--digest", digest, "--resolve", dir})
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got, want := mustRead(t, filepath.Join(dir, "Dockerfile")), "FROM "+image+":1.0@"+digest+"\n"; got != want {
		t.Errorf("Dockerfile = %q, want %q", got, want)
	}
	if reqs := reg.Requests(); len(reqs) != 0 {
		t.Errorf("--digest with --resolve asked the registry: %+v", reqs)
	}
}
