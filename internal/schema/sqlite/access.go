package sqlite

// migrationAccess holds who may use the library and who changed what
// (package access): users, their API tokens and browser sessions, the
// server's signing secrets, and the audit columns of resources.
//
// Secrets are stored only as hashes (token_hash, id_hash: SHA-256 in hex;
// password_hash: argon2id). created_by and updated_by name the principal of
// the last create and edit ("" when auth was off); they are text, not
// foreign keys, so that the record outlives the user.
const migrationAccess = `CREATE TABLE users (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		username TEXT NOT NULL UNIQUE,
		display_name TEXT NOT NULL DEFAULT '',
		password_hash TEXT NOT NULL,
		role TEXT NOT NULL,
		scope_group_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		disabled BOOLEAN NOT NULL DEFAULT FALSE
	);
	CREATE TABLE api_tokens (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		token_hash TEXT NOT NULL UNIQUE,
		created_at TIMESTAMP NOT NULL,
		expires_at TIMESTAMP,
		last_used_at TIMESTAMP,
		revoked_at TIMESTAMP
	);
	CREATE INDEX api_tokens_user_id ON api_tokens(user_id);
	CREATE TABLE sessions (
		id_hash TEXT PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		csrf_token TEXT NOT NULL,
		created_at TIMESTAMP NOT NULL,
		expires_at TIMESTAMP NOT NULL
	);
	CREATE INDEX sessions_user_id ON sessions(user_id);
	CREATE INDEX sessions_expires_at ON sessions(expires_at);
	CREATE TABLE access_keys (
		name TEXT PRIMARY KEY,
		secret TEXT NOT NULL,
		created_at TIMESTAMP NOT NULL
	);
	ALTER TABLE resources ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE resources ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';`
