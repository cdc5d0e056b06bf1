package registry

import (
	"fmt"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// ghcr is GitHub's container registry, which takes a GitHub token as password.
const ghcr = "ghcr.io"

// credential is one way to authenticate, as offered to a registry.
type credential struct {
	label   string // for errors: source and user name, never the secret
	auth    authn.Authenticator
	secrets []string // to redact from errors
	err     error    // the source could not be read; auth is nil
}

var anonymous = credential{label: "anonymous", auth: authn.Anonymous}

// credentials returns the credentials for repo's registry, in the order
// documented on the package: Docker config, Login, GitHub token.
func (c *Client) credentials(repo name.Repository) []credential {
	var creds []credential
	if cred, ok := c.docker.credential(repo); ok {
		creds = append(creds, cred)
	}
	if l := c.opts.Login; l.Username != "" || l.Password != "" {
		if l.Registry == "" || sameRegistry(l.Registry, repo.Registry) {
			creds = append(creds, basic(fmt.Sprintf("registry username %q", l.Username), l.Username, l.Password))
		}
	}
	if c.opts.GitHubToken != "" && c.takesGitHubToken(repo.Registry) {
		actor := c.opts.GitHubActor
		if actor == "" {
			actor = "x-access-token"
		}
		creds = append(creds, basic(fmt.Sprintf("GitHub token (user %q)", actor), actor, c.opts.GitHubToken))
	}
	return creds
}

func basic(label, username, password string) credential {
	return credential{
		label:   label,
		auth:    &authn.Basic{Username: username, Password: password},
		secrets: []string{password},
	}
}

func (c *Client) takesGitHubToken(reg name.Registry) bool {
	if reg.RegistryStr() == ghcr {
		return true
	}
	for _, r := range c.opts.GitHubTokenRegistries {
		if sameRegistry(r, reg) {
			return true
		}
	}
	return false
}

// sameRegistry reports whether the host[:port] s (validated by New) names reg;
// "docker.io" names Docker Hub's "index.docker.io".
func sameRegistry(s string, reg name.Registry) bool {
	r, err := name.NewRegistry(s)
	return err == nil && r.RegistryStr() == reg.RegistryStr()
}

// dockerConfig is a Docker config file, read with the Docker CLI's own code
// so that its "auths", "credsStore" and "credHelpers" mean what they mean to
// docker.
type dockerConfig struct {
	mu   sync.Mutex // ConfigFile is not documented as safe for concurrent use
	file *configfile.ConfigFile
}

// loadDockerConfig reads dir/config.json (dir empty: $DOCKER_CONFIG, else
// ~/.docker). A missing file is an empty config.
func loadDockerConfig(dir string) (*dockerConfig, error) {
	if dir == "" {
		dir = config.Dir()
	}
	f, err := config.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the Docker config: %w", err)
	}
	return &dockerConfig{file: f}, nil
}

// credential returns the config's credential for repo, if it has one. As in
// go-containerregistry's authn.DefaultKeychain, an entry for the repository
// wins over one for its registry, and Docker Hub is looked up under its
// historical key "https://index.docker.io/v1/".
func (d *dockerConfig) credential(repo name.Repository) (credential, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	label := fmt.Sprintf("docker config %q", d.file.Filename)
	for _, key := range []string{repo.String(), repo.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		cfg, err := d.file.GetAuthConfig(key)
		if err != nil {
			return credential{label: label, err: fmt.Errorf("reading credentials for %s: %w", key, err)}, true
		}
		cfg.ServerAddress = "" // set by GetAuthConfig; not a credential
		if cfg.Username == "" && cfg.Password == "" && cfg.Auth == "" && cfg.IdentityToken == "" && cfg.RegistryToken == "" {
			continue
		}
		if cfg.Username != "" {
			label += fmt.Sprintf(" (user %q)", cfg.Username)
		}
		return credential{
			label: label,
			auth: authn.FromConfig(authn.AuthConfig{
				Username:      cfg.Username,
				Password:      cfg.Password,
				Auth:          cfg.Auth,
				IdentityToken: cfg.IdentityToken,
				RegistryToken: cfg.RegistryToken,
			}),
			secrets: []string{cfg.Password, cfg.Auth, cfg.IdentityToken, cfg.RegistryToken},
		}, true
	}
	return credential{}, false
}
