package cli

import (
	"context"
	"fmt"
	"path/filepath"

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
