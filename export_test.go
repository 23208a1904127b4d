package stockroom

import "context"

// ClaimSweep exposes claimSweep to the tests of several servers.
func (l *Library) ClaimSweep(ctx context.Context) (func(), bool, error) {
	t, ok, err := l.claimSweep(ctx)
	if !ok {
		return nil, ok, err
	}
	return t.Release, ok, err
}
