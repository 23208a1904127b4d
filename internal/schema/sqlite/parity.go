package sqlite

// migrationParity holds what the reference's own client needs beyond the
// core schema: note types, and the type of each note. Deleting a note type
// leaves its notes without one. The DDL is shared by SQLite and PostgreSQL
// except for the AUTOINCREMENT key, written as in the other steps.
const migrationParity = `CREATE TABLE note_types (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		created_at TIMESTAMP NOT NULL,
		updated_at TIMESTAMP NOT NULL,
		name TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		meta_schema TEXT NOT NULL DEFAULT ''
	);
	ALTER TABLE notes ADD COLUMN note_type_id INTEGER REFERENCES note_types(id) ON DELETE SET NULL;
	CREATE INDEX notes_note_type_id ON notes(note_type_id);`
