package dockerfile

// fileError is an error about a file's content. It matches its kind
// (ErrMalformed, ErrNotText, ErrTooLarge) with errors.Is and unwraps to the
// underlying parser error, if any.
type fileError struct {
	kind   error
	detail string
	err    error
}

func (e *fileError) Error() string {
	s := e.kind.Error()
	if e.detail != "" {
		s += ": " + e.detail
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *fileError) Is(target error) bool { return target == e.kind }

func (e *fileError) Unwrap() error { return e.err }
