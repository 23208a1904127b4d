package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stockroomhq/stockroom/internal/dbtx"
	"github.com/uptrace/bun"
)

// Defaults for Config.
const (
	DefaultSessionTTL    = 30 * 24 * time.Hour
	DefaultMaxFailures   = 10
	DefaultFailureWindow = 15 * time.Minute
)

// Config is what a Service works with. DB is required and must carry the
// schema of resources.Migrate (its access step).
type Config struct {
	// DB takes the writes; ReadDB, when set, the lookups made on every
	// request, so that they do not queue behind a long write.
	DB     *bun.DB
	ReadDB *bun.DB
	// SessionTTL is how long a browser session lasts; 0 means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Password is the cost of new password hashes; zero means
	// DefaultPasswordParams.
	Password PasswordParams
	// MaxFailures failed logins per address, and per user name, within
	// FailureWindow make further attempts wait for the window to pass.
	// Zero means the defaults.
	MaxFailures   int
	FailureWindow time.Duration
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Service keeps users, tokens, sessions and the link secret. It is safe
// for concurrent use.
type Service struct {
	db, rdb *bun.DB
	ttl     time.Duration
	params  PasswordParams
	now     func() time.Time
	limiter *limiter
	// dummy is a hash to check unknown users against, for even timing;
	// made on the first login, so that opening a library costs no hash.
	dummyOnce sync.Once
	dummy     string
	secretMu  sync.Mutex
	secret    []byte // the link secret once loaded
}

// New returns a Service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("access.New: Config.DB is required")
	}
	s := &Service{db: cfg.DB, rdb: cfg.ReadDB, ttl: cfg.SessionTTL, params: cfg.Password, now: cfg.Now}
	if s.rdb == nil {
		s.rdb = s.db
	}
	if s.ttl <= 0 {
		s.ttl = DefaultSessionTTL
	}
	if s.params == (PasswordParams{}) {
		s.params = DefaultPasswordParams
	}
	if s.now == nil {
		s.now = time.Now
	}
	max, window := cfg.MaxFailures, cfg.FailureWindow
	if max <= 0 {
		max = DefaultMaxFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	s.limiter = newLimiter(max, window, s.clock)
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		// On failure the dummy stays empty and matches nothing, which is
		// all it is for; only the timing differs.
		s.dummy, _ = hashPassword("not a password of anyone", s.params)
	})
	return s.dummy
}

// User is an account. Its password hash never leaves the package.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	CreatedAt    time.Time `bun:"created_at,notnull" json:"createdAt"`
	UpdatedAt    time.Time `bun:"updated_at,notnull" json:"updatedAt"`
	Username     string    `bun:"username,notnull" json:"username"`
	DisplayName  string    `bun:"display_name,notnull" json:"displayName"`
	PasswordHash string    `bun:"password_hash,notnull" json:"-"`
	Role         Role      `bun:"role,notnull" json:"role"`
	ScopeGroupID *int64    `bun:"scope_group_id" json:"scopeGroupId"`
	Disabled     bool      `bun:"disabled,notnull" json:"disabled"`
}

// Principal is what u may do.
func (u *User) Principal() Principal {
	return Principal{Name: u.Username, Role: u.Role, UserID: u.ID, ScopeGroupID: u.ScopeGroupID}
}

// UserInput creates or changes a user. On update, the zero value of a
// field leaves it as it is, except Disabled, which is applied only when
// SetDisabled is true.
type UserInput struct {
	Username     string
	DisplayName  string
	Password     string
	Role         Role
	ScopeGroupID *int64
	Disabled     bool
	SetDisabled  bool
}

func checkUsername(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: username is required", ErrInvalid)
	case len(name) > 100 || !utf8.ValidString(name):
		return fmt.Errorf("%w: username must be valid text of at most 100 bytes", ErrInvalid)
	case strings.TrimSpace(name) != name || strings.ContainsAny(name, "\x00\r\n\t"):
		return fmt.Errorf("%w: username must not start or end with spaces or hold control characters", ErrInvalid)
	}
	return nil
}

// CreateUser adds a user. A taken username is ErrConflict.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	const op = "access.CreateUser"
	if err := checkUsername(in.Username); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	role, err := ParseRole(string(in.Role))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkPassword(in.Password); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	hash, err := hashPassword(in.Password, s.params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	now := s.clock()
	u := &User{CreatedAt: now, UpdatedAt: now, Username: in.Username, DisplayName: in.DisplayName,
		PasswordHash: hash, Role: role, ScopeGroupID: nonZero(in.ScopeGroupID), Disabled: in.Disabled}
	err = dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		n, err := tx.NewSelect().Model((*User)(nil)).Where("username = ?", in.Username).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: username %q is taken", ErrConflict, in.Username)
		}
		_, err = tx.NewInsert().Model(u).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return u, nil
}

func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

// UpdateUser changes user id. A new password ends the user's sessions.
// Demoting or disabling the last enabled admin is ErrConflict.
func (s *Service) UpdateUser(ctx context.Context, id int64, in UserInput) (*User, error) {
	const op = "access.UpdateUser"
	var u User
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		if err := tx.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx); err != nil {
			return notFound(err, "user", id)
		}
		wasAdmin := u.Role == RoleAdmin && !u.Disabled
		if in.Username != "" && in.Username != u.Username {
			if err := checkUsername(in.Username); err != nil {
				return err
			}
			n, err := tx.NewSelect().Model((*User)(nil)).Where("username = ? AND id <> ?", in.Username, id).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: username %q is taken", ErrConflict, in.Username)
			}
			u.Username = in.Username
		}
		if in.DisplayName != "" {
			u.DisplayName = in.DisplayName
		}
		if in.Role != "" {
			role, err := ParseRole(string(in.Role))
			if err != nil {
				return err
			}
			u.Role = role
		}
		if in.ScopeGroupID != nil {
			u.ScopeGroupID = nonZero(in.ScopeGroupID)
		}
		if in.SetDisabled {
			u.Disabled = in.Disabled
		}
		if in.Password != "" {
			if err := checkPassword(in.Password); err != nil {
				return err
			}
			hash, err := hashPassword(in.Password, s.params)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
		if wasAdmin && (u.Role != RoleAdmin || u.Disabled) {
			if err := lastAdminCheck(ctx, tx, id); err != nil {
				return err
			}
		}
		u.UpdatedAt = s.clock()
		if _, err := tx.NewUpdate().Model(&u).WherePK().Exec(ctx); err != nil {
			return err
		}
		if in.Password != "" || u.Disabled {
			_, err := tx.NewDelete().Model((*session)(nil)).Where("user_id = ?", id).Exec(ctx)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &u, nil
}

// lastAdminCheck fails unless an enabled admin other than id remains.
func lastAdminCheck(ctx context.Context, tx dbtx.Tx, id int64) error {
	n, err := tx.NewSelect().Model((*User)(nil)).
		Where("role = ? AND disabled = ? AND id <> ?", RoleAdmin, false, id).Count(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: user %d is the last enabled admin", ErrConflict, id)
	}
	return nil
}

// DeleteUser removes user id with its tokens and sessions. Deleting the
// last enabled admin is ErrConflict; a user that does not exist is
// ErrNotFound.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	const op = "access.DeleteUser"
	err := dbtx.Write(ctx, s.db, func(ctx context.Context, tx dbtx.Tx) error {
		var u User
		if err := tx.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx); err != nil {
			return notFound(err, "user", id)
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := lastAdminCheck(ctx, tx, id); err != nil {
				return err
			}
		}
		// The foreign keys cascade, but say so for dialects and
		// connections that do not enforce them.
		if _, err := tx.NewDelete().Model((*session)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Token)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*User)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// GetUser returns user id.
func (s *Service) GetUser(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.rdb.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("access.GetUser: %w", notFound(err, "user", id))
	}
	return &u, nil
}

// UserByName returns the user called name.
func (s *Service) UserByName(ctx context.Context, name string) (*User, error) {
	var u User
	if err := s.rdb.NewSelect().Model(&u).Where("username = ?", name).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("access.UserByName: %w: no user %q", ErrNotFound, name)
		}
		return nil, fmt.Errorf("access.UserByName: %w", err)
	}
	return &u, nil
}

// ListUsers returns the users by ID, limit of them after offset (limit 0
// means all).
func (s *Service) ListUsers(ctx context.Context, offset, limit int) ([]*User, error) {
	users := []*User{}
	q := s.rdb.NewSelect().Model(&users).Order("id").Offset(int64(offset))
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("access.ListUsers: %w", err)
	}
	return users, nil
}

// CountUsers returns how many users there are.
func (s *Service) CountUsers(ctx context.Context) (int64, error) {
	return s.rdb.NewSelect().Model((*User)(nil)).Count(ctx)
}

func notFound(err error, what string, id int64) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: no %s %d", ErrNotFound, what, id)
	}
	return err
}
