package sqlite

// migrationIntake holds what bringing files in needs: the persisted
// background downloads (package intake) and the files referenced in place on
// alternative filesystems (local resources).
//
// download_jobs.resource_id has no foreign key: a job's record outlives the
// resource it created. local_files maps content to the place it is read
// from; its resource_id becomes NULL when the resource is deleted, and a row
// is only ever used for content that a resource or version still refers to.
const migrationIntake = `CREATE TABLE download_jobs (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		url TEXT NOT NULL,
		status TEXT NOT NULL,
		progress INTEGER NOT NULL DEFAULT 0,
		total_size INTEGER NOT NULL DEFAULT -1,
		error TEXT NOT NULL DEFAULT '',
		resource_id INTEGER,
		source TEXT NOT NULL DEFAULT '',
		params TEXT NOT NULL DEFAULT '{}',
		validator TEXT NOT NULL DEFAULT '',
		created_at TIMESTAMP NOT NULL,
		started_at TIMESTAMP,
		completed_at TIMESTAMP
	);
	CREATE INDEX download_jobs_status ON download_jobs(status, id);
	CREATE TABLE local_files (
		storage_location TEXT NOT NULL,
		path TEXT NOT NULL,
		hash TEXT NOT NULL,
		file_size INTEGER NOT NULL,
		resource_id INTEGER REFERENCES resources(id) ON DELETE SET NULL,
		created_at TIMESTAMP NOT NULL,
		PRIMARY KEY (storage_location, path)
	);
	CREATE INDEX local_files_hash ON local_files(hash);
	CREATE INDEX local_files_resource_id ON local_files(resource_id);`
