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
	// RoleUser may read everything, and create and edit resources, groups
	// and notes within its scope group (Principal.WriteScope), but not
	// delete or merge anything.
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
	// ScopeGroupID is the group a user of role user writes in: that group
	// and its descendants (see WriteScope).
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

// CanWrite reports whether p may create and edit some content: anywhere,
// or within its scope group (WriteScope). A user without a scope group may
// not.
func (p Principal) CanWrite() bool {
	if p.Role == RoleUser {
		_, _, err := p.WriteScope()
		return err == nil
	}
	return p.CanWriteAnywhere()
}

// CanWriteAnywhere reports whether p may create and edit all content,
// including what belongs to no group (tags, series, note types, imports).
func (p Principal) CanWriteAnywhere() bool { return p.Role == RoleAdmin || p.Role == RoleEditor }

// WriteScope says where p may write: scoped false means anywhere p's role
// allows; scoped true means only resources, groups and notes within the
// group (the group itself or a descendant, resources and notes by their
// owner). A user of role user without a scope group may write nothing: the
// error, an ErrForbidden, says so. It answers for writing only: every
// role that may read, reads everything.
func (p Principal) WriteScope() (group int64, scoped bool, err error) {
	if p.Role != RoleUser {
		return 0, false, nil
	}
	if p.ScopeGroupID == nil || *p.ScopeGroupID == 0 {
		return 0, true, &errs.Error{Kind: errs.Forbidden, Err: ErrForbidden,
			Msg: fmt.Sprintf("role user may change nothing without a scope group, and %q has none (an admin sets its scopeGroupId)", p.Name)}
	}
	return *p.ScopeGroupID, true, nil
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
