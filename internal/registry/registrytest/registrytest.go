// Package registrytest runs go-containerregistry's in-memory registry
// (pkg/registry) on loopback and pushes images to it, for tests and the
// demo. It can require HTTP basic auth, slow every request down and keeps a
// log of the requests it served.
//
// The registry listens on 127.0.0.1, which go-containerregistry's pkg/name
// reaches over plain HTTP, so image names like "127.0.0.1:PORT/acme/base"
// need no TLS setup.
package registrytest

import (
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options configures a Registry. The zero value is a public registry.
type Options struct {
	// Username and Password, when Username is set, are required (HTTP basic
	// auth) on every request; others get 401 with a Basic challenge, as
	// distribution's htpasswd auth answers.
	Username, Password string
	// Hide answers requests without the right credentials 404 NAME_UNKNOWN
	// instead of 401, except the /v2/ ping that tells clients to use basic
	// auth, as Docker Hub does for private repositories
	// (https://github.com/docker/hub-feedback/issues/728).
	Hide bool
	// Delay holds every request this long before it is served (or until the
	// client gives up).
	Delay time.Duration
}

// Registry is a running registry. Close it when done.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of image names.
	Host string

	opts   Options
	inner  http.Handler
	server *httptest.Server

	mu       sync.Mutex
	requests []Request
}

// Request is one request the registry served, pushes excluded.
type Request struct {
	Method string
	Path   string
	// Username is the basic-auth user name sent, empty when none was.
	Username string
	// Authorization reports whether an Authorization header was sent.
	Authorization bool
}

// Start runs a registry on 127.0.0.1.
func Start(opts Options) *Registry {
	r := &Registry{
		opts:  opts,
		inner: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))),
	}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	r.Host = r.server.Listener.Addr().String()
	return r
}

// Close stops the registry, ending requests still held by Delay.
func (r *Registry) Close() { r.server.Close() }

// Requests returns the requests served so far, in order.
func (r *Registry) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	user, pass, hasBasic := req.BasicAuth()
	r.mu.Lock()
	r.requests = append(r.requests, Request{
		Method:        req.Method,
		Path:          req.URL.Path,
		Username:      user,
		Authorization: req.Header.Get("Authorization") != "",
	})
	r.mu.Unlock()
	if r.opts.Delay > 0 {
		t := time.NewTimer(r.opts.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return
		}
	}
	if r.opts.Username != "" && (!hasBasic || user != r.opts.Username || pass != r.opts.Password) {
		if r.opts.Hide && req.URL.Path != "/v2/" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
		return
	}
	r.inner.ServeHTTP(w, req)
}

// PushImage pushes a small single-platform image, generated from seed (the
// same seed gives the same digest), as repo:tag ("acme/base", "1.0") and
// returns its digest.
func (r *Registry) PushImage(repo, tag string, seed int64) (string, error) {
	ref, err := r.tag(repo, tag)
	if err != nil {
		return "", err
	}
	img, err := image(seed)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, r.pushOptions()...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// Index is a pushed multi-platform image.
type Index struct {
	// Digest is the index's (manifest list's) digest.
	Digest string
	// Manifests are the platform manifests' digests, linux/amd64 first,
	// then linux/arm64.
	Manifests []string
}

// PushIndex pushes a multi-platform image (an OCI index of a linux/amd64 and
// a linux/arm64 image), generated from seed, as repo:tag.
func (r *Registry) PushIndex(repo, tag string, seed int64) (Index, error) {
	ref, err := r.tag(repo, tag)
	if err != nil {
		return Index{}, err
	}
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var out Index
	for i, arch := range []string{"amd64", "arm64"} {
		img, err := image(seed + int64(i))
		if err != nil {
			return Index{}, err
		}
		d, err := img.Digest()
		if err != nil {
			return Index{}, err
		}
		out.Manifests = append(out.Manifests, d.String())
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	if err := remote.WriteIndex(ref, idx, r.pushOptions()...); err != nil {
		return Index{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return Index{}, err
	}
	out.Digest = d.String()
	return out, nil
}

func (r *Registry) tag(repo, tag string) (name.Tag, error) {
	ref, err := name.NewTag(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("registrytest: %w", err)
	}
	return ref, nil
}

// pushOptions send pushes straight to the in-memory registry, past the
// auth, delay and log of the served one.
func (r *Registry) pushOptions() []remote.Option {
	return []remote.Option{
		remote.WithTransport(inProcess{r.inner}),
		remote.WithAuth(authn.Anonymous),
	}
}

// inProcess is an http.RoundTripper that serves requests with a handler.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	in := *req // a server request always has a body
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, &in)
	in.Body.Close()
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// image returns a one-layer image of 256 random bytes drawn from seed.
func image(seed int64) (v1.Image, error) {
	img, err := random.Image(256, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		return nil, fmt.Errorf("registrytest: generating an image: %w", err)
	}
	return img, nil
}

// Transport returns an http.RoundTripper that sends every request, for any
// registry host (ghcr.io, index.docker.io, …), to this registry over plain
// HTTP, keeping the path. With it as registry.Options.Transport, images
// keep their usual names ("ghcr.io/acme/base") in the demo and in tests,
// while the repositories pushed here ("acme/base", "library/node") answer.
func (r *Registry) Transport() http.RoundTripper {
	return redirect{host: r.Host, next: http.DefaultTransport}
}

type redirect struct {
	host string
	next http.RoundTripper
}

func (d redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = "http", d.host, d.host
	return d.next.RoundTrip(out)
}
