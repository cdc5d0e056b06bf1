package registry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// The kinds of failure an *Error can be; test with errors.Is.
var (
	// ErrNotFound: the registry has no such tag (or repository).
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: the registry refused every credential tried (401 or 403).
	ErrUnauthorized = errors.New("access refused")
	// ErrUnreachable: no connection to the registry (DNS, TCP or TLS).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrTimeout: the registry did not answer within Options.Timeout.
	ErrTimeout = errors.New("timed out")
)

// Error is a failed lookup of Image:Tag in Registry, with what each
// credential tried got. Its message names the image, the registry and the
// credentials by source and user name, and ends with a hint; it never holds
// a password or token.
type Error struct {
	Image    string
	Tag      string
	Registry string
	Attempts []Attempt

	secrets []string // passwords and tokens tried, removed from the message
}

// Attempt is one lookup with one credential, or a credential that could
// not be read (Kind nil, no request made).
type Attempt struct {
	// Credential says which credential, e.g. "anonymous" or
	// `docker config "/home/runner/.docker/config.json" (user "bot")`.
	Credential string
	// Kind is ErrNotFound, ErrUnauthorized, ErrUnreachable, ErrTimeout, or
	// nil for another failure.
	Kind error
	Err  error

	requested bool // a request was made; false when the credential could not be read
}

func (e *Error) add(cred credential, requested bool, kind, err error) {
	e.Attempts = append(e.Attempts, Attempt{Credential: cred.label, Kind: kind, Err: err, requested: requested})
	e.secrets = append(e.secrets, cred.secrets...)
}

// Kind is the kind of the last attempt that made a request: ErrNotFound,
// ErrUnauthorized, ErrUnreachable, ErrTimeout, or nil.
func (e *Error) Kind() error {
	for i := len(e.Attempts) - 1; i >= 0; i-- {
		if e.Attempts[i].requested {
			return e.Attempts[i].Kind
		}
	}
	return nil
}

// Unwrap returns the kind and the underlying errors, for errors.Is and
// errors.As (e.g. *transport.Error).
func (e *Error) Unwrap() []error {
	var errs []error
	if k := e.Kind(); k != nil {
		errs = append(errs, k)
	}
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%s in registry %s: ", e.Image, e.Tag, e.Registry)
	switch e.Kind() {
	case ErrNotFound:
		b.WriteString("not found")
	case ErrUnauthorized:
		b.WriteString("access refused")
	case ErrUnreachable:
		b.WriteString("registry unreachable")
	case ErrTimeout:
		b.WriteString("timed out")
	default:
		b.WriteString("lookup failed")
	}
	if len(e.Attempts) > 0 {
		b.WriteString(" (")
		for i, a := range e.Attempts {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", a.Credential, describe(a.Err))
		}
		b.WriteString(")")
	}
	if h := e.hint(); h != "" {
		b.WriteString(": ")
		b.WriteString(h)
	}
	return redact(b.String(), e.secrets)
}

// hint says what the user can do about the failure.
func (e *Error) hint() string {
	onlyAnonymous := len(e.Attempts) == 1
	switch e.Kind() {
	case ErrNotFound:
		if onlyAnonymous {
			return "check the image and tag; a private image looks missing to an anonymous client, so if it is private, log in (docker/login-action) or give a registry username and password"
		}
		return "check the image and tag, and that the credentials tried can pull it"
	case ErrUnauthorized:
		if onlyAnonymous {
			return "the image needs credentials: log in (docker/login-action) or give a registry username and password"
		}
		return "check that one of the credentials tried can pull the image"
	case ErrUnreachable:
		return "check the registry's host name and port, and that this machine can reach it"
	case ErrTimeout:
		return "the registry is slow or unreachable; try again later"
	}
	return ""
}

// describe words one attempt's error: the status for registry answers, the
// cause for the rest.
func describe(err error) string {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode != 0 {
		s := fmt.Sprintf("%d %s", te.StatusCode, http.StatusText(te.StatusCode))
		for _, d := range te.Errors {
			s += " " + string(d.Code)
			if d.Message != "" {
				s += " " + d.Message
			}
		}
		return s
	}
	return err.Error()
}

// classify returns the kind of a go-containerregistry error, or nil.
func classify(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
				return ErrNotFound
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return ErrUnauthorized
			}
		}
		switch te.StatusCode {
		case http.StatusNotFound:
			return ErrNotFound
		case http.StatusUnauthorized, http.StatusForbidden:
			return ErrUnauthorized
		}
		return nil
	}
	var (
		opErr   *net.OpError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
	)
	if errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &certErr) || errors.As(err, &recErr) {
		return ErrUnreachable
	}
	return nil
}

// redact replaces each secret in s.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}
