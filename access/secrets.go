package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// newSecret returns 256 random bits, base64url-encoded, after prefix.
func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// digest is what the database keeps of a secret.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// tokenPrefix marks Stockroom API tokens, so that secret scanners and
// people can tell one when they see it.
const tokenPrefix = "srt_"

// Token is an API token. Its secret is shown once, when it is created.
type Token struct {
	bun.BaseModel `bun:"table:api_tokens,alias:t"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	UserID     int64      `bun:"user_id,notnull" json:"userId"`
	Name       string     `bun:"name,notnull" json:"name"`
	Hash       string     `bun:"token_hash,notnull" json:"-"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"createdAt"`
	ExpiresAt  *time.Time `bun:"expires_at" json:"expiresAt"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"lastUsedAt"`
	RevokedAt  *time.Time `bun:"revoked_at" json:"revokedAt"`
}

// CreateToken makes an API token for user userID and returns its secret,
// which is not kept and cannot be shown again. expiresAt nil means it does
// not expire.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string, expiresAt *time.Time) (string, *Token, error) {
	const op = "access.CreateToken"
	name = strings.TrimSpace(name)
	if name == "" {
		name = "token"
	}
	if len(name) > 200 {
		return "", nil, fmt.Errorf("%s: %w: token name longer than 200 bytes", op, ErrInvalid)
	}
	now := s.clock()
	if expiresAt != nil && !expiresAt.After(now) {
		return "", nil, fmt.Errorf("%s: %w: expiry %s is in the past", op, ErrInvalid, expiresAt.Format(time.RFC3339))
	}
	if _, err := s.GetUser(ctx, userID); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	secret, err := newSecret(tokenPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	t := &Token{UserID: userID, Name: name, Hash: digest(secret), CreatedAt: now, ExpiresAt: expiresAt}
	if _, err := s.db.NewInsert().Model(t).Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("%s: %w", op, err)
	}
	return secret, t, nil
}

// ListTokens returns user userID's tokens that are not revoked, by ID.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]*Token, error) {
	tokens := []*Token{}
	err := s.rdb.NewSelect().Model(&tokens).Where("user_id = ? AND revoked_at IS NULL", userID).Order("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("access.ListTokens: %w", err)
	}
	return tokens, nil
}

// RevokeToken revokes token id of user userID (any user's when userID is
// 0). Revoking a revoked token is not an error; a token that is not the
// user's is ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, userID, id int64) error {
	q := s.db.NewUpdate().Model((*Token)(nil)).Set("revoked_at = COALESCE(revoked_at, ?)", s.clock()).Where("id = ?", id)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("access.RevokeToken: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access.RevokeToken: %w: no token %d", ErrNotFound, id)
	}
	return nil
}

// TokenPrincipal returns the principal of an API token's secret: its
// user's, with the token named. A secret that is unknown, revoked, expired
// or of a disabled user is ErrUnauthorized.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (Principal, error) {
	now := s.clock()
	var row Token
	if err := s.rdb.NewSelect().Model(&row).Where("token_hash = ?", digest(secret)).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Principal{}, fmt.Errorf("%w: unknown API token", ErrUnauthorized)
		}
		return Principal{}, fmt.Errorf("access.TokenPrincipal: %w", err)
	}
	u, err := s.GetUser(ctx, row.UserID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Principal{}, fmt.Errorf("%w: unknown API token", ErrUnauthorized)
		}
		return Principal{}, err
	}
	switch {
	case row.RevokedAt != nil:
		return Principal{}, fmt.Errorf("%w: the API token was revoked", ErrUnauthorized)
	case row.ExpiresAt != nil && !row.ExpiresAt.After(now):
		return Principal{}, fmt.Errorf("%w: the API token expired", ErrUnauthorized)
	case u.Disabled:
		return Principal{}, fmt.Errorf("%w: the account is disabled", ErrUnauthorized)
	}
	// Last use is kept to the minute, so that a busy script does not turn
	// every read into a write. It is a hint: a request does not wait long
	// for it behind another write, nor fail for it.
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= time.Minute {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, _ = s.db.NewUpdate().Model((*Token)(nil)).Set("last_used_at = ?", now).Where("id = ?", row.ID).Exec(tctx)
		cancel()
	}
	p := u.Principal()
	p.TokenID, p.TokenName = row.ID, row.Name
	return p, nil
}

// session is a browser session; only the hash of its ID is kept.
type session struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	IDHash    string    `bun:"id_hash,pk" json:"-"`
	UserID    int64     `bun:"user_id,notnull"`
	CSRFToken string    `bun:"csrf_token,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// Session is a signed-in browser: ID goes in its cookie, and its unsafe
// requests carry CSRFToken.
type Session struct {
	ID        string
	CSRFToken string
	ExpiresAt time.Time
	User      *User
}

// Login checks username and password and starts a session. addr is the
// client's address, for the rate limit; a wrong name or password is
// ErrUnauthorized (the same for both), and too many failures ErrRateLimited.
func (s *Service) Login(ctx context.Context, username, password, addr string) (*Session, error) {
	const op = "access.Login"
	keys := []string{"user:" + username}
	if a := addrKey(addr); a != "" {
		keys = append(keys, "addr:"+a)
	}
	if wait := s.limiter.blocked(keys...); wait > 0 {
		return nil, fmt.Errorf("%s: %w: try again in %s", op, ErrRateLimited, wait.Round(time.Second))
	}
	if len(password) > maxPasswordLen || len(username) > 100 {
		// No stored password is this long; do not spend a hash on it.
		s.limiter.fail(keys...)
		return nil, fmt.Errorf("%s: %w: wrong username or password", op, ErrUnauthorized)
	}
	u, err := s.UserByName(ctx, username)
	switch {
	case errors.Is(err, ErrNotFound):
		verifyPassword(password, s.dummyHash()) // the same time as a wrong password
	case err != nil:
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if u == nil || !verifyPassword(password, u.PasswordHash) || u.Disabled {
		s.limiter.fail(keys...)
		return nil, fmt.Errorf("%s: %w: wrong username or password", op, ErrUnauthorized)
	}
	s.limiter.reset(keys[0])
	id, err := newSecret("")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	csrf, err := newSecret("")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	now := s.clock()
	row := &session{IDHash: digest(id), UserID: u.ID, CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if _, err := s.db.NewInsert().Model(row).Exec(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Expired sessions go now and then, on a login rather than a timer.
	if _, err := s.db.NewDelete().Model((*session)(nil)).Where("expires_at <= ?", now).Exec(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &Session{ID: id, CSRFToken: csrf, ExpiresAt: row.ExpiresAt, User: u}, nil
}

// addrKey is the rate-limit key of a client address: the IP without the
// port, and for IPv6 its /64, which one client usually holds whole.
func addrKey(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	var ip netip.Addr
	if err == nil {
		ip = ap.Addr()
	} else if ip, err = netip.ParseAddr(addr); err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// SessionPrincipal returns the principal of a session ID from a cookie.
// An unknown or expired session, or one of a disabled user, is
// ErrUnauthorized.
func (s *Service) SessionPrincipal(ctx context.Context, id string) (Principal, error) {
	var row session
	if err := s.rdb.NewSelect().Model(&row).Where("id_hash = ?", digest(id)).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Principal{}, fmt.Errorf("%w: the session ended; sign in again", ErrUnauthorized)
		}
		return Principal{}, fmt.Errorf("access.SessionPrincipal: %w", err)
	}
	u, err := s.GetUser(ctx, row.UserID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Principal{}, err
	}
	if u == nil || !row.ExpiresAt.After(s.clock()) || u.Disabled {
		return Principal{}, fmt.Errorf("%w: the session ended; sign in again", ErrUnauthorized)
	}
	p := u.Principal()
	p.Session, p.CSRFToken = true, row.CSRFToken
	return p, nil
}

// Logout ends the session with this ID. Ending an ended session is not an
// error.
func (s *Service) Logout(ctx context.Context, id string) error {
	if _, err := s.db.NewDelete().Model((*session)(nil)).Where("id_hash = ?", digest(id)).Exec(ctx); err != nil {
		return fmt.Errorf("access.Logout: %w", err)
	}
	return nil
}
