package cli

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/dfiu/dfiu/internal/config"
	"github.com/dfiu/dfiu/internal/dockerfile"
	"github.com/dfiu/dfiu/internal/registry"
)

// resolveDigest implements `dfiu rewrite --resolve`: it sets opts.Digest to
// the digest of opts.Image:opts.Tag in its registry, looked up anonymously
// and then with the Docker config's credentials, and says so on stderr.
func resolveDigest(ctx context.Context, opts dockerfile.Options, env Env) (dockerfile.Options, error) {
	c, err := registry.New(registry.Options{DockerConfigDir: dockerConfigDir(env.Getenv)})
	if err != nil {
		return opts, err
	}
	digest, err := c.Resolve(ctx, opts.Image, opts.Tag)
	if err != nil {
		return opts, err
	}
	opts.Digest = digest
	if err := opts.Validate(); err != nil {
		return opts, fmt.Errorf("the registry's digest %q: %w", digest, err)
	}
	fmt.Fprintf(env.Stderr, "dfiu rewrite: resolved %s:%s to %s\n", opts.Image, opts.Tag, digest)
	return opts, nil
}

// dockerConfigDir is where docker keeps config.json: $DOCKER_CONFIG, else
// $HOME/.docker; empty (Docker's own default) when neither is set.
func dockerConfigDir(getenv func(string) string) string {
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		return dir
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".docker")
	}
	return ""
}

// newRegistry returns the registry client of a parent, child or all run:
// anonymous first, then the Docker config, then registry-username and
// registry-password (offered to the image's registry only), then the
// GitHub token for ghcr.io (and, on GitHub Enterprise Server, its
// containers.HOST registry).
func newRegistry(cfg *config.Config, getenv func(string) string, deps actionDeps) (*registry.Client, error) {
	opts := registry.Options{
		DockerConfigDir: dockerConfigDir(getenv),
		GitHubToken:     cfg.Token,
		GitHubActor:     getenv("GITHUB_ACTOR"),
		Timeout:         deps.RegistryTimeout,
		Transport:       deps.RegistryTransport,
	}
	if cfg.RegistryUsername != "" {
		opts.Login = registry.Login{
			Registry: cfg.Target.Image.Registry(),
			Username: cfg.RegistryUsername,
			Password: cfg.RegistryPassword,
		}
	}
	if u, err := url.Parse(cfg.APIURL); err == nil && u.Hostname() != "" && u.Hostname() != "api.github.com" && strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3") {
		opts.GitHubTokenRegistries = []string{"containers." + u.Hostname()}
	}
	c, err := registry.New(opts)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return c, nil
}
