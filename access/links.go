package access

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Query parameters of a signed link.
const (
	LinkSigParam = "sig"
	LinkExpParam = "exp"
)

// key is a server secret, kept in the database so that every server of a
// library shares it.
type key struct {
	bun.BaseModel `bun:"table:access_keys"`

	Name      string    `bun:"name,pk"`
	Secret    string    `bun:"secret,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

const linkKey = "links"

// linkSecret returns the link secret, making one on first use.
func (s *Service) linkSecret(ctx context.Context) ([]byte, error) {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if s.secret != nil {
		return s.secret, nil
	}
	var k key
	err := s.db.NewSelect().Model(&k).Where("name = ?", linkKey).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		k = key{Name: linkKey, CreatedAt: s.clock()}
		if k.Secret, err = randomHex(); err != nil {
			return nil, err
		}
		// Another server may have made one meanwhile: keep the first.
		if _, err = s.db.NewInsert().Model(&k).On("CONFLICT (name) DO NOTHING").Exec(ctx); err == nil {
			err = s.db.NewSelect().Model(&k).Where("name = ?", linkKey).Scan(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("access: link secret: %w", err)
	}
	b, err := hex.DecodeString(k.Secret)
	if err != nil || len(b) < 32 {
		return nil, fmt.Errorf("access: link secret in the database is damaged")
	}
	s.secret = b
	return b, nil
}

func randomHex() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// RotateLinkSecret replaces the link secret: every link signed before no
// longer opens. Other servers of the same database notice on restart.
func (s *Service) RotateLinkSecret(ctx context.Context) error {
	secret, err := randomHex()
	if err != nil {
		return err
	}
	k := key{Name: linkKey, Secret: secret, CreatedAt: s.clock()}
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	_, err = s.db.NewInsert().Model(&k).
		On("CONFLICT (name) DO UPDATE").Set("secret = EXCLUDED.secret, created_at = EXCLUDED.created_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("access.RotateLinkSecret: %w", err)
	}
	s.secret = nil
	return nil
}

// SignLink returns target (a path with an optional query, such as
// "/v1/resource/view?id=7") with exp and sig parameters added, so that it
// opens without credentials until expires.
func (s *Service) SignLink(ctx context.Context, target string, expires time.Time) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("access.SignLink: %w: %v", ErrInvalid, err)
	}
	q := u.Query()
	q.Del(LinkSigParam)
	q.Set(LinkExpParam, strconv.FormatInt(expires.Unix(), 10))
	secret, err := s.linkSecret(ctx)
	if err != nil {
		return "", err
	}
	q.Set(LinkSigParam, linkMAC(secret, u.EscapedPath(), q))
	u.RawQuery = q.Encode()
	return u.RequestURI(), nil
}

// VerifyLink checks the signature and expiry of a signed link's path and
// query. A link without a signature is ErrUnauthorized; a wrong or expired
// one ErrForbidden.
func (s *Service) VerifyLink(ctx context.Context, u *url.URL) error {
	q := u.Query()
	sig := q.Get(LinkSigParam)
	if sig == "" {
		return fmt.Errorf("%w: no signature", ErrUnauthorized)
	}
	exp, err := strconv.ParseInt(q.Get(LinkExpParam), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: the link has no valid expiry", ErrForbidden)
	}
	secret, err := s.linkSecret(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(sig), []byte(linkMAC(secret, u.EscapedPath(), q))) {
		return fmt.Errorf("%w: the link's signature does not match", ErrForbidden)
	}
	if !s.clock().Before(time.Unix(exp, 0)) {
		return fmt.Errorf("%w: the link expired", ErrForbidden)
	}
	return nil
}

// linkMAC signs path and every query parameter but sig, in a canonical
// order, so that no parameter can be added, dropped or changed.
func linkMAC(secret []byte, path string, q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		if k != LinkSigParam {
			c[k] = v
		}
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(path))
	m.Write([]byte{'?'})
	m.Write([]byte(c.Encode()))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
