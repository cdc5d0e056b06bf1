package registry

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
)

// TestCredentialOrder checks which credentials each registry is offered,
// and in which order, without any registry: Docker Hub's historical config
// key, a login scoped to docker.io, and the GitHub token for ghcr.io only.
func TestCredentialOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hub := base64.StdEncoding.EncodeToString([]byte("hubuser:hubpw"))
	ghcrAuth := base64.StdEncoding.EncodeToString([]byte("octocat:ghcrpw"))
	config := fmt.Sprintf(`{"auths":{"https://index.docker.io/v1/":{"auth":%q},"ghcr.io":{"auth":%q}}}`, hub, ghcrAuth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{
		DockerConfigDir: dir,
		Login:           Login{Registry: "docker.io", Username: "bob", Password: "bobpw"},
		GitHubToken:     "ghs_x",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("docker config %q", filepath.Join(dir, "config.json"))
	for _, tc := range []struct {
		image string
		want  []string
	}{
		{"ubuntu", []string{cfg + ` (user "hubuser")`, `registry username "bob"`}},
		{"docker.io/acme/app", []string{cfg + ` (user "hubuser")`, `registry username "bob"`}},
		{"ghcr.io/acme/base", []string{cfg + ` (user "octocat")`, `GitHub token (user "x-access-token")`}},
		{"quay.io/acme/base", nil},
	} {
		repo, err := name.NewRepository(tc.image)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, cred := range c.credentials(repo) {
			if cred.err != nil {
				t.Errorf("%s: %v", tc.image, cred.err)
			}
			got = append(got, cred.label)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("credentials for %s (-want +got):\n%s", tc.image, diff)
		}
	}
}
