// Package access says who may do what: users with a password and a role,
// API tokens, browser sessions, and signed links that expire. The HTTP
// server (httpapi) asks it for the Principal behind each request; an
// application that embeds Stockroom with users of its own can skip the
// package and hand the server a Principal of its own making
// (httpapi.AccessConfig.Principal).
//
// # Roles
//
//	role    read  create/edit       delete, merge  users, categories
//	admin   yes   yes               yes            yes
//	editor  yes   yes               yes            no
//	user    yes   within its scope  no             no
//	guest   yes   no                no             no
//
// A user of role user is scoped to a group (ScopeGroupID): it may create,
// edit, tag and add versions to the resources, groups and notes within that
// group, which are the group itself, the groups under it at any depth, and
// the resources and notes those groups own (Principal.WriteScope;
// resources.Store.OutsideGroup answers which IDs are outside). A create
// without an owner gets the scope group, so that what a user makes stays
// its to edit; an owner outside the scope, or clearing the owner, is
// refused. A call on many IDs is refused whole when one is outside. What
// belongs to no group (tags, series, note types, imports, jobs) needs
// editor or admin, and so does every delete and merge, even within the
// scope: neither can be undone, and role user is for people trusted with
// less. A user without a scope group may change nothing. Reads are never
// scoped.
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
