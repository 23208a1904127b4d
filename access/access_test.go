package access_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/internal/dbtest"

	"github.com/stockroomhq/stockroom/access"
	"github.com/stockroomhq/stockroom/resources"
)

// clock is a settable time for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func cheap() access.PasswordParams   { return access.PasswordParams{Memory: 64, Time: 1, Threads: 1} }
func ctxb() context.Context          { return context.Background() }
func isErr(err, kind error) bool     { return errors.Is(err, kind) }
func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
func wantErr(tb testing.TB, err, kind error, what string) {
	tb.Helper()
	if !isErr(err, kind) {
		tb.Errorf("%s: error %v, want %v", what, err, kind)
	}
}

func newService(tb testing.TB, c *clock) *access.Service {
	tb.Helper()
	db := dbtest.Open(tb)
	mustOK(tb, resources.Migrate(ctxb(), db.Writer))
	s, err := access.New(access.Config{DB: db.Writer, ReadDB: db.Reader, Password: cheap(), Now: c.now, MaxFailures: 3, FailureWindow: time.Minute, SessionTTL: time.Hour})
	mustOK(tb, err)
	return s
}

func TestUsers(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	admin, err := s.CreateUser(ctxb(), access.UserInput{Username: "ada", Password: "long enough", Role: "ADMIN"})
	mustOK(t, err)
	if admin.Role != access.RoleAdmin || admin.Disabled || !strings.HasPrefix(admin.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("created %+v", admin)
	}
	_, err = s.CreateUser(ctxb(), access.UserInput{Username: "ada", Password: "long enough", Role: "user"})
	wantErr(t, err, access.ErrConflict, "taken name")
	_, err = s.CreateUser(ctxb(), access.UserInput{Username: "bob", Password: "short", Role: "user"})
	wantErr(t, err, access.ErrInvalid, "short password")
	_, err = s.CreateUser(ctxb(), access.UserInput{Username: "bob", Password: "long enough", Role: "root"})
	wantErr(t, err, access.ErrInvalid, "unknown role")
	_, err = s.CreateUser(ctxb(), access.UserInput{Username: " bob", Password: "long enough", Role: "user"})
	wantErr(t, err, access.ErrInvalid, "name with a space")
	if n, _ := s.CountUsers(ctxb()); n != 1 {
		t.Errorf("%d users after refused creates, want 1", n)
	}

	// The last admin stays.
	_, err = s.UpdateUser(ctxb(), admin.ID, access.UserInput{Role: access.RoleEditor})
	wantErr(t, err, access.ErrConflict, "demoting the last admin")
	_, err = s.UpdateUser(ctxb(), admin.ID, access.UserInput{SetDisabled: true, Disabled: true})
	wantErr(t, err, access.ErrConflict, "disabling the last admin")
	wantErr(t, s.DeleteUser(ctxb(), admin.ID), access.ErrConflict, "deleting the last admin")
	bob, err := s.CreateUser(ctxb(), access.UserInput{Username: "bob", Password: "long enough", Role: access.RoleAdmin})
	mustOK(t, err)
	mustOK(t, s.DeleteUser(ctxb(), admin.ID))
	wantErr(t, s.DeleteUser(ctxb(), admin.ID), access.ErrNotFound, "deleting twice")

	// A new password ends sessions; a disabled user cannot sign in.
	sess, err := s.Login(ctxb(), "bob", "long enough", "192.0.2.1:5000")
	mustOK(t, err)
	if _, err := s.SessionPrincipal(ctxb(), sess.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateUser(ctxb(), bob.ID, access.UserInput{Password: "another long one"})
	mustOK(t, err)
	_, err = s.SessionPrincipal(ctxb(), sess.ID)
	wantErr(t, err, access.ErrUnauthorized, "session after a password change")
	_, err = s.Login(ctxb(), "bob", "long enough", "192.0.2.1:5000")
	wantErr(t, err, access.ErrUnauthorized, "old password")
	carl, err := s.CreateUser(ctxb(), access.UserInput{Username: "carl", Password: "long enough", Role: access.RoleUser})
	mustOK(t, err)
	secret, _, err := s.CreateToken(ctxb(), carl.ID, "x", nil)
	mustOK(t, err)
	_, err = s.UpdateUser(ctxb(), carl.ID, access.UserInput{SetDisabled: true, Disabled: true})
	mustOK(t, err)
	_, err = s.Login(ctxb(), "carl", "long enough", "192.0.2.2:1")
	wantErr(t, err, access.ErrUnauthorized, "disabled login")
	_, err = s.TokenPrincipal(ctxb(), secret)
	wantErr(t, err, access.ErrUnauthorized, "disabled user's token")
}

func TestTokensAndSessionsExpire(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	u, err := s.CreateUser(ctxb(), access.UserInput{Username: "u", Password: "long enough", Role: access.RoleEditor})
	mustOK(t, err)
	exp := c.now().Add(time.Hour)
	secret, tok, err := s.CreateToken(ctxb(), u.ID, "ci", &exp)
	mustOK(t, err)
	p, err := s.TokenPrincipal(ctxb(), secret)
	mustOK(t, err)
	if p.Name != "u" || p.Role != access.RoleEditor || p.TokenName != "ci" || p.Actor() != "u (token ci)" || !p.CanDelete() || p.CanAdmin() {
		t.Errorf("principal %+v", p)
	}
	list, err := s.ListTokens(ctxb(), u.ID)
	mustOK(t, err)
	if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(c.now()) || list[0].Hash == secret {
		t.Errorf("tokens %+v", list)
	}
	c.add(time.Hour)
	_, err = s.TokenPrincipal(ctxb(), secret)
	wantErr(t, err, access.ErrUnauthorized, "expired token")
	_, _, err = s.CreateToken(ctxb(), u.ID, "old", &exp)
	wantErr(t, err, access.ErrInvalid, "token expiring in the past")
	wantErr(t, s.RevokeToken(ctxb(), u.ID+1, tok.ID), access.ErrNotFound, "revoking another's token")
	mustOK(t, s.RevokeToken(ctxb(), u.ID, tok.ID))
	mustOK(t, s.RevokeToken(ctxb(), u.ID, tok.ID))

	sess, err := s.Login(ctxb(), "u", "long enough", "[2001:db8::1]:443")
	mustOK(t, err)
	if p, err := s.SessionPrincipal(ctxb(), sess.ID); err != nil || !p.Session || p.CSRFToken != sess.CSRFToken {
		t.Fatalf("session principal %+v, %v", p, err)
	}
	c.add(time.Hour)
	_, err = s.SessionPrincipal(ctxb(), sess.ID)
	wantErr(t, err, access.ErrUnauthorized, "expired session")
}

func TestLoginLimits(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	_, err := s.CreateUser(ctxb(), access.UserInput{Username: "u", Password: "long enough", Role: access.RoleGuest})
	mustOK(t, err)
	for range 3 {
		_, err := s.Login(ctxb(), "u", "wrong", "198.51.100.7:1")
		wantErr(t, err, access.ErrUnauthorized, "wrong password")
	}
	_, err = s.Login(ctxb(), "u", "long enough", "203.0.113.9:1")
	wantErr(t, err, access.ErrRateLimited, "the user from another address")
	_, err = s.Login(ctxb(), "someone", "x", "198.51.100.7:2")
	wantErr(t, err, access.ErrRateLimited, "another user from the address")
	c.add(time.Minute)
	_, err = s.Login(ctxb(), "u", "long enough", "198.51.100.7:1")
	mustOK(t, err)
	// An IPv6 client is one /64.
	for i := range 3 {
		s.Login(ctxb(), "nobody"+string(rune('a'+i)), "x", "[2001:db8:1:2::"+string(rune('1'+i))+"]:80")
	}
	_, err = s.Login(ctxb(), "u", "long enough", "[2001:db8:1:2::ff]:80")
	wantErr(t, err, access.ErrRateLimited, "same /64")
}

func TestSignedLinks(t *testing.T) {
	c := newClock()
	s := newService(t, c)
	link, err := s.SignLink(ctxb(), "/v1/resource/view?id=7", c.now().Add(time.Minute))
	mustOK(t, err)
	check := func(raw string) error {
		u, err := url.Parse(raw)
		mustOK(t, err)
		return s.VerifyLink(ctxb(), u)
	}
	mustOK(t, check(link))
	wantErr(t, check(strings.Replace(link, "id=7", "id=8", 1)), access.ErrForbidden, "other id")
	wantErr(t, check("/v1/resource/view?id=7"), access.ErrUnauthorized, "unsigned")
	c.add(time.Minute)
	wantErr(t, check(link), access.ErrForbidden, "expired")
	fresh, err := s.SignLink(ctxb(), "/v1/resource/view?id=7", c.now().Add(time.Minute))
	mustOK(t, err)
	mustOK(t, check(fresh))
	mustOK(t, s.RotateLinkSecret(ctxb()))
	wantErr(t, check(fresh), access.ErrForbidden, "after rotation")
}

func TestRights(t *testing.T) {
	type rights struct{ read, write, anywhere, del, admin bool }
	zero, seven := int64(0), int64(7)
	for _, tt := range []struct {
		p    access.Principal
		want rights
	}{
		{access.Principal{Role: access.RoleAdmin}, rights{true, true, true, true, true}},
		{access.Principal{Role: access.RoleEditor}, rights{true, true, true, true, false}},
		{access.Principal{Role: access.RoleUser, ScopeGroupID: &seven}, rights{true, true, false, false, false}},
		{access.Principal{Role: access.RoleUser}, rights{true, false, false, false, false}},
		{access.Principal{Role: access.RoleUser, ScopeGroupID: &zero}, rights{true, false, false, false, false}},
		{access.Principal{Role: access.RoleGuest}, rights{true, false, false, false, false}},
		{access.Principal{Role: ""}, rights{}},
		{access.Principal{Role: "root"}, rights{}},
	} {
		p := tt.p
		if got := (rights{p.CanRead(), p.CanWrite(), p.CanWriteAnywhere(), p.CanDelete(), p.CanAdmin()}); got != tt.want {
			t.Errorf("%q (scope %v): %+v, want %+v", p.Role, p.ScopeGroupID, got, tt.want)
		}
	}
}

func TestWriteScope(t *testing.T) {
	seven := int64(7)
	for _, role := range []access.Role{access.RoleAdmin, access.RoleEditor} {
		if g, scoped, err := (access.Principal{Role: role, ScopeGroupID: &seven}).WriteScope(); g != 0 || scoped || err != nil {
			t.Errorf("%s: WriteScope = %d, %v, %v; want anywhere", role, g, scoped, err)
		}
	}
	if g, scoped, err := (access.Principal{Role: access.RoleUser, ScopeGroupID: &seven}).WriteScope(); g != 7 || !scoped || err != nil {
		t.Errorf("user in 7: WriteScope = %d, %v, %v", g, scoped, err)
	}
	_, scoped, err := access.Principal{Name: "ann", Role: access.RoleUser}.WriteScope()
	wantErr(t, err, access.ErrForbidden, "user without a scope group")
	if !scoped || !strings.Contains(err.Error(), "scope group") || !strings.Contains(err.Error(), `"ann"`) {
		t.Errorf("user without a scope group: scoped %v, error %q does not say why", scoped, err)
	}
}
