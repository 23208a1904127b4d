package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/stockroomhq/stockroom/errs"
)

// Errors of the package, to compare with errors.Is. Each carries its kind
// of package errs, from which the HTTP server takes the status.
var (
	ErrUnauthorized = errs.New(errs.Unauthorized, "not signed in")
	ErrForbidden    = errs.New(errs.Forbidden, "not allowed")
	ErrRateLimited  = errs.New(errs.RateLimited, "too many failed attempts")
	ErrNotFound     = errs.New(errs.NotFound, "not found")
	ErrInvalid      = errs.New(errs.Invalid, "invalid")
	ErrConflict     = errs.New(errs.Conflict, "conflict")
)

// Role is what a user may do. The zero value is no role: it may do nothing.
type Role string

// The roles, from most to least rights.
const (
	// RoleAdmin may do everything, including managing users and categories.
	RoleAdmin Role = "admin"
	// RoleEditor may read and change all content.
	RoleEditor Role = "editor"
	// RoleUser may read, create and edit content, but not delete, merge or
	// change many resources at once (see Principal.CanDelete).
	RoleUser Role = "user"
	// RoleGuest may only read.
	RoleGuest Role = "guest"
)

// ParseRole reads a role name in any case.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleEditor, RoleUser, RoleGuest:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q: want admin, editor, user or guest", ErrInvalid, s)
}

// Principal is who makes a request and what they may do. Embedders may
// build one directly; the zero value may do nothing.
type Principal struct {
	// Name is who it is, for the audit trail: a user name.
	Name string
	// Role decides the rights.
	Role Role
	// UserID is the user's ID in this package's tables, 0 for a principal
	// made by an embedder.
	UserID int64
	// TokenID and TokenName are set when the request came with an API
	// token.
	TokenID   int64
	TokenName string
	// ScopeGroupID is the group a user of role user is meant to work in
	// (reported by /v1/auth/me; not yet enforced per resource).
	ScopeGroupID *int64
	// Session is set when the request came with a browser session cookie;
	// its unsafe requests must then carry the session's CSRF token.
	Session bool
	// CSRFToken is the session's CSRF token.
	CSRFToken string
}

// CanRead reports whether p may read content.
func (p Principal) CanRead() bool {
	switch p.Role {
	case RoleAdmin, RoleEditor, RoleUser, RoleGuest:
		return true
	}
	return false
}

// CanWrite reports whether p may create and edit content.
func (p Principal) CanWrite() bool {
	switch p.Role {
	case RoleAdmin, RoleEditor, RoleUser:
		return true
	}
	return false
}

// CanDelete reports whether p may delete content, merge it, or change
// many resources at once.
func (p Principal) CanDelete() bool { return p.Role == RoleAdmin || p.Role == RoleEditor }

// CanAdmin reports whether p may manage users, categories and the server.
func (p Principal) CanAdmin() bool { return p.Role == RoleAdmin }

// Actor is how the audit trail names p: the user name, with the token's
// name when it came with one ("alice (token laptop)").
func (p Principal) Actor() string {
	if p.TokenName != "" {
		return p.Name + " (token " + p.TokenName + ")"
	}
	return p.Name
}

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
