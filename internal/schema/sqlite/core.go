package sqlite

// migrationCore is the core schema: resources, versions, the entities and
// the join tables.
const migrationCore = `CREATE TABLE categories (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE "groups" (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		url TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL
	);
	CREATE INDEX groups_owner_id ON "groups"(owner_id);
	CREATE INDEX groups_category_id ON "groups"(category_id);
	CREATE INDEX groups_name ON "groups"(name);
	CREATE TABLE tags (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL UNIQUE,
		description TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}'
	);
	CREATE TABLE resource_categories (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		meta_schema TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE series (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		slug TEXT NOT NULL UNIQUE,
		meta TEXT NOT NULL DEFAULT '{}'
	);
	CREATE TABLE notes (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		meta TEXT NOT NULL DEFAULT '{}',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		start_date TIMESTAMP,
		end_date TIMESTAMP
	);
	CREATE INDEX notes_owner_id ON notes(owner_id);
	CREATE TABLE resources (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL DEFAULT '',
		original_name TEXT NOT NULL DEFAULT '',
		original_location TEXT NOT NULL DEFAULT '',
		hash TEXT NOT NULL,
		hash_type TEXT NOT NULL,
		location TEXT NOT NULL,
		storage_location TEXT,
		meta TEXT NOT NULL DEFAULT '{}',
		width INTEGER NOT NULL DEFAULT 0,
		height INTEGER NOT NULL DEFAULT 0,
		file_size INTEGER NOT NULL DEFAULT 0,
		category TEXT NOT NULL DEFAULT '',
		content_type TEXT NOT NULL DEFAULT '',
		content_category TEXT NOT NULL DEFAULT '',
		owner_id INTEGER REFERENCES "groups"(id) ON DELETE SET NULL,
		resource_category_id INTEGER REFERENCES resource_categories(id) ON DELETE SET NULL,
		series_id INTEGER REFERENCES series(id) ON DELETE SET NULL,
		current_version_id INTEGER
	);
	CREATE INDEX resources_hash ON resources(hash);
	CREATE INDEX resources_created_at ON resources(created_at, id);
	CREATE INDEX resources_owner_id ON resources(owner_id);
	CREATE INDEX resources_resource_category_id ON resources(resource_category_id);
	CREATE INDEX resources_series_id ON resources(series_id);
	CREATE INDEX resources_content_type ON resources(content_type);
	CREATE TABLE resource_versions (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		version_number INTEGER NOT NULL,
		hash TEXT NOT NULL,
		hash_type TEXT NOT NULL,
		file_size INTEGER NOT NULL,
		content_type TEXT NOT NULL DEFAULT '',
		width INTEGER NOT NULL DEFAULT 0,
		height INTEGER NOT NULL DEFAULT 0,
		location TEXT NOT NULL,
		comment TEXT NOT NULL DEFAULT '',
		created_at TIMESTAMP NOT NULL,
		UNIQUE (resource_id, version_number)
	);
	CREATE INDEX resource_versions_hash ON resource_versions(hash);
	CREATE TABLE resource_tags (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, tag_id)
	);
	CREATE INDEX resource_tags_tag ON resource_tags(tag_id, resource_id);
	CREATE TABLE groups_related_resources (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, group_id)
	);
	CREATE INDEX groups_related_resources_group ON groups_related_resources(group_id, resource_id);
	CREATE TABLE resource_notes (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		PRIMARY KEY (resource_id, note_id)
	);
	CREATE INDEX resource_notes_note ON resource_notes(note_id, resource_id);
	CREATE TABLE group_tags (
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (group_id, tag_id)
	);
	CREATE INDEX group_tags_tag ON group_tags(tag_id, group_id);
	CREATE TABLE note_tags (
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
		PRIMARY KEY (note_id, tag_id)
	);
	CREATE INDEX note_tags_tag ON note_tags(tag_id, note_id);
	CREATE TABLE groups_related_notes (
		note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
		group_id INTEGER NOT NULL REFERENCES "groups"(id) ON DELETE CASCADE,
		PRIMARY KEY (note_id, group_id)
	);
	CREATE INDEX groups_related_notes_group ON groups_related_notes(group_id, note_id);`
