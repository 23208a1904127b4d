package access

import (
	"sync"
	"time"
)

// limiter counts failed logins per key (an address, a user name) in a
// fixed window. Counts live in memory: a restart forgets them, which costs
// an attacker a restart they cannot cause.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	m      map[string]*failures
}

type failures struct {
	n     int
	until time.Time // when the window ends
}

// maxKeys bounds the memory of the limiter; past it, ended windows are
// dropped first, then all of them.
const maxKeys = 100_000

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, m: map[string]*failures{}}
}

// blocked returns how long until any of keys may try again, or 0.
func (l *limiter) blocked(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if f := l.m[k]; f != nil && f.n >= l.max && now.Before(f.until) {
			wait = max(wait, f.until.Sub(now))
		}
	}
	return wait
}

func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) >= maxKeys {
		for k, f := range l.m {
			if !now.Before(f.until) {
				delete(l.m, k)
			}
		}
		if len(l.m) >= maxKeys {
			clear(l.m)
		}
	}
	for _, k := range keys {
		f := l.m[k]
		if f == nil || !now.Before(f.until) {
			f = &failures{until: now.Add(l.window)}
			l.m[k] = f
		}
		f.n++
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
