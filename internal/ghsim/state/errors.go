package state

import "fmt"

// Kind classifies an Error so that each API layer can map it to its own
// status code or error type.
type Kind int

// The kinds of Error.
const (
	NotFound  Kind = iota + 1 // the object does not exist or the actor cannot see it
	Forbidden                 // the actor can see the object but may not change it
	Conflict                  // a precondition on the current state failed (REST 409)
	Invalid                   // the input is not acceptable (REST 422)
	Stale                     // an expected head oid did not match (GraphQL STALE_DATA)
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case NotFound:
		return "NotFound"
	case Forbidden:
		return "Forbidden"
	case Conflict:
		return "Conflict"
	case Invalid:
		return "Invalid"
	case Stale:
		return "Stale"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// GraphQLType returns the GitHub GraphQL error type for the kind.
func (k Kind) GraphQLType() string {
	switch k {
	case NotFound:
		return "NOT_FOUND"
	case Forbidden:
		return "FORBIDDEN"
	case Stale:
		return "STALE_DATA"
	}
	return "UNPROCESSABLE"
}

// Error is the error every World method returns. Resource, Field and Code,
// when set, are what GitHub puts in a 422's errors[] entry.
type Error struct {
	Kind     Kind
	Message  string
	Resource string
	Field    string
	Code     string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

func notFound() *Error { return &Error{Kind: NotFound, Message: "Not Found"} }
