package sqlite

// migrationLocalIdentity records what a local file looked like when it was
// hashed: its modification time (nanoseconds since the epoch) and inode,
// so that a file changed in place (even to other bytes of the same size)
// is noticed and re-hashed before it is served under its hash. 0 means
// unknown: rows from before are re-hashed once when first read.
const migrationLocalIdentity = `ALTER TABLE local_files ADD COLUMN mod_time_ns INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE local_files ADD COLUMN inode INTEGER NOT NULL DEFAULT 0;`
