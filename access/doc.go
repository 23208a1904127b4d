// Package access says who may do what: users with a password and a role,
// API tokens, browser sessions, and signed links that expire. The HTTP
// server (httpapi) asks it for the Principal behind each request; an
// application that embeds Stockroom with users of its own can skip the
// package and hand the server a Principal of its own making
// (httpapi.AccessConfig.Principal).
//
// # Roles
//
//	role    read  create/edit  delete, merge, bulk  users, categories
//	admin   yes   yes          yes                  yes
//	editor  yes   yes          yes                  no
//	user    yes   yes          no                   no
//	guest   yes   no           no                   no
//
// The reference application scopes a user to a group and its descendants.
// Here a user's ScopeGroupID is kept and reported, but not yet enforced per
// resource: until it is, role user is "an editor who cannot destroy".
//
// # Secrets
//
// Nothing that lets anyone in is stored in the clear: passwords as argon2id
// hashes with a random salt and their parameters, API tokens (256 random
// bits, shown once) and session IDs as SHA-256 hashes. Signed links are an
// HMAC-SHA256 of their path, query and expiry with a secret kept in the
// database (table access_keys), so that every server of one library shares
// it; RotateLinkSecret invalidates every link made before.
//
// Failed logins are counted per client address (IPv6 by /64) and per user
// name, in memory; past Config.MaxFailures within Config.FailureWindow,
// logins wait (ErrRateLimited) while tokens keep working.
package access
