package stockroom

import "context"

// ClaimSweep exposes claimSweep to the tests of several servers.
func (l *Library) ClaimSweep(ctx context.Context) (func(), bool, error) { return l.claimSweep(ctx) }
