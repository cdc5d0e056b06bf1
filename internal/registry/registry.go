// Package registry asks container registries about image tags: whether
// image:tag exists (Verify) and which digest it has (Resolve).
// go-containerregistry speaks the registry protocol; this package chooses the
// credentials, bounds each lookup in time and words the errors.
//
// # Credentials
//
// A lookup is first made anonymously, so that a public image never sees a
// credential. When the registry refuses it (401 or 403), or answers 404 (Docker
// Hub answers 404 to an anonymous client for a private repository:
// https://github.com/docker/hub-feedback/issues/728), the lookup is repeated
// with each credential the client holds for the image's registry, in this
// order, until one is accepted:
//
//  1. the Docker config: config.json in Options.DockerConfigDir, what
//     `docker login` and docker/login-action write, credential helpers
//     included;
//  2. Options.Login, the username and password given explicitly (the
//     action's registry-username and registry-password);
//  3. Options.GitHubToken, for ghcr.io and Options.GitHubTokenRegistries.
//
// Errors name the credentials tried by source and user name, never a password
// or token.
//
// Names follow go-containerregistry's pkg/name: "ubuntu" is
// index.docker.io/library/ubuntu, and registries on localhost, 127.0.0.1,
// ::1 or a private (RFC 1918) address are also tried over plain HTTP.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DefaultTimeout bounds one lookup (one credential tried) when
// Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// userAgent is sent with every request, before go-containerregistry's own.
const userAgent = "dfiu"

// Options configures a Client. The zero value looks up public images
// anonymously, with the Docker config of the environment as fallback.
type Options struct {
	// DockerConfigDir is the directory holding config.json. Empty means
	// Docker's default: $DOCKER_CONFIG, else ~/.docker.
	DockerConfigDir string

	// Login is offered after the Docker config's credentials.
	Login Login

	// GitHubToken is offered last to ghcr.io and GitHubTokenRegistries, as
	// the password of GitHubActor (any non-empty user name is accepted with
	// a token: go-containerregistry's own authn/github keychain sends
	// "unset" when GITHUB_ACTOR is missing). Empty means none.
	GitHubToken string
	// GitHubActor is the user name sent with GitHubToken; empty means
	// "x-access-token".
	GitHubActor string
	// GitHubTokenRegistries are registries besides ghcr.io that accept
	// GitHubToken, e.g. "containers.HOST" for GitHub Enterprise Server.
	GitHubTokenRegistries []string

	// Timeout bounds each lookup: the requests made with one credential.
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// Transport carries the requests; nil means go-containerregistry's
	// default (which honours HTTPS_PROXY and friends).
	Transport http.RoundTripper
}

// Login is a username and password for one registry.
type Login struct {
	// Registry is the host[:port] the login is offered to, e.g. ghcr.io or
	// docker.io. Empty offers it to the registry of every image looked up.
	Registry string
	Username string
	Password string
}

// String describes the login without its password.
func (l Login) String() string {
	return fmt.Sprintf("Login{Registry:%q Username:%q Password:%s}", l.Registry, l.Username, hidden(l.Password))
}

// String describes the options without the password or the token.
func (o Options) String() string {
	return fmt.Sprintf("Options{DockerConfigDir:%q Login:%v GitHubToken:%s GitHubActor:%q GitHubTokenRegistries:%q Timeout:%v}",
		o.DockerConfigDir, o.Login, hidden(o.GitHubToken), o.GitHubActor, o.GitHubTokenRegistries, o.Timeout)
}

// GoString is String, so that %#v hides the secrets too.
func (o Options) GoString() string { return o.String() }

// GoString is String, so that %#v hides the password too.
func (l Login) GoString() string { return l.String() }

// hidden stands for a secret in descriptions: whether it is set, never what.
func hidden(secret string) string {
	if secret == "" {
		return `""`
	}
	return "***"
}

// Client looks up tags. It is safe for concurrent use.
type Client struct {
	opts    Options
	docker  *dockerConfig
	timeout time.Duration
}

// New returns a Client. It reads the Docker config once, here, and fails when
// the file exists but cannot be read or parsed, or when a registry named in
// opts is invalid.
func New(opts Options) (*Client, error) {
	dc, err := loadDockerConfig(opts.DockerConfigDir)
	if err != nil {
		return nil, err
	}
	if opts.Login.Registry != "" {
		if _, err := name.NewRegistry(opts.Login.Registry); err != nil {
			return nil, fmt.Errorf("login registry %q: %w", opts.Login.Registry, err)
		}
	}
	for _, r := range opts.GitHubTokenRegistries {
		if _, err := name.NewRegistry(r); err != nil {
			return nil, fmt.Errorf("GitHub token registry %q: %w", r, err)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{opts: opts, docker: dc, timeout: timeout}, nil
}

// Verify checks that image:tag exists, with a HEAD request for its
// manifest. The error is an *Error naming the image and the registry; test
// it with errors.Is against ErrNotFound, ErrUnauthorized, ErrUnreachable and
// ErrTimeout.
func (c *Client) Verify(ctx context.Context, image, tag string) error {
	_, err := c.Resolve(ctx, image, tag)
	return err
}

// Resolve returns the digest of image:tag ("sha256:…") with a HEAD request
// for its manifest (a GET when the answer lacks the digest): for a multi-platform image, the digest of the index
// (manifest list), not of one platform's manifest, so that a reference
// pinned to it still pulls the right platform everywhere. Errors are as for
// Verify.
func (c *Client) Resolve(ctx context.Context, image, tag string) (string, error) {
	ref, err := parseTag(image, tag)
	if err != nil {
		return "", err
	}
	desc, err := c.head(ctx, image, tag, ref)
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// parseTag validates image (a repository, without tag or digest) and tag
// separately, so that the error names the one at fault.
func parseTag(image, tag string) (name.Tag, error) {
	repo, err := name.NewRepository(image)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image %q: %w", image, err)
	}
	ref, err := name.NewTag(repo.Name() + ":" + tag)
	if err != nil || ref.TagStr() != tag {
		return name.Tag{}, fmt.Errorf("image %q: tag %q: not a valid tag", image, tag)
	}
	return ref, nil
}

// head looks ref up anonymously, then with each credential for its registry
// while the registry refuses or hides it.
func (c *Client) head(ctx context.Context, image, tag string, ref name.Tag) (*v1.Descriptor, error) {
	e := &Error{Image: image, Tag: tag, Registry: ref.Context().RegistryStr()}
	// try returns the descriptor, or whether another credential may fare
	// better.
	try := func(cred credential) (*v1.Descriptor, bool) {
		if cred.err != nil {
			e.add(cred, false, nil, cred.err)
			return nil, true
		}
		lctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		opts := []remote.Option{
			remote.WithContext(lctx),
			remote.WithAuth(cred.auth),
			remote.WithUserAgent(userAgent),
		}
		if c.opts.Transport != nil {
			opts = append(opts, remote.WithTransport(c.opts.Transport))
		}
		desc, err := remote.Head(ref, opts...)
		var te *transport.Error
		if err != nil && classify(err) == nil && !errors.As(err, &te) && lctx.Err() == nil {
			// The registry answered the HEAD without the digest or media
			// type (the distribution spec only says it SHOULD send
			// Docker-Content-Digest): GET the manifest and hash it, as
			// `crane digest` does.
			var full *remote.Descriptor
			if full, err = remote.Get(ref, opts...); err == nil {
				desc = &full.Descriptor
			}
		}
		if err == nil {
			return desc, false
		}
		kind := classify(err)
		switch {
		case ctx.Err() != nil:
			kind = nil // the caller gave up; the registry is not to blame
		case errors.Is(lctx.Err(), context.DeadlineExceeded):
			kind, err = ErrTimeout, fmt.Errorf("no answer within %s: %w", c.timeout, err)
		}
		e.add(cred, true, kind, err)
		// Only a refusal or a miss can go differently with other credentials.
		return nil, ctx.Err() == nil && (kind == ErrUnauthorized || kind == ErrNotFound)
	}

	for _, cred := range append([]credential{anonymous}, c.credentials(ref.Context())...) {
		desc, retry := try(cred)
		if desc != nil {
			return desc, nil
		}
		if !retry {
			break
		}
	}
	return nil, e
}
