package sqlite

// migrationSort makes the other orders of a list and the searches of the
// original name and location fast at millions of resources, as
// migrationSearch does for the default order and the other searches, and
// by the same means (derived, kept by triggers, backfilled here):
//
//   - an index per column a list may be sorted by that has none yet, so
//     that the first page of a sorted list is read off an index rather
//     than by sorting every match. Each index ends in the row ID, which is
//     the tie-break of a sorted list.
//   - resource_meta_order: the meta values of each key in the default
//     order, so that a range of values too wide to read whole and sort
//     (rating:GT:2) is walked newest first, checked on the index, until
//     the page is full.
//   - resources_original_name_fts, resources_original_location_fts:
//     trigram full-text indexes of the file name a resource was uploaded
//     with and of where it came from, for substring searches of three
//     characters or more; empty values are left out.
const migrationSort = `
	CREATE INDEX resources_name ON resources(name);
	CREATE INDEX resources_updated_at ON resources(updated_at);
	CREATE INDEX resources_file_size ON resources(file_size);
	CREATE INDEX resources_width ON resources(width);
	CREATE INDEX resources_height ON resources(height);
	CREATE INDEX resources_original_name ON resources(original_name);
	CREATE INDEX resource_meta_order ON resource_meta(key, created_at, resource_id, kind, value);

	CREATE VIRTUAL TABLE resources_original_name_fts USING fts5(
		original_name, content='', contentless_delete=1, tokenize='trigram');
	CREATE VIRTUAL TABLE resources_original_location_fts USING fts5(
		original_location, content='', contentless_delete=1, tokenize='trigram');

	INSERT INTO resources_original_name_fts(rowid, original_name)
		SELECT id, original_name FROM resources WHERE original_name <> '';
	INSERT INTO resources_original_location_fts(rowid, original_location)
		SELECT id, original_location FROM resources WHERE original_location <> '';

	CREATE TRIGGER resources_original_insert AFTER INSERT ON resources BEGIN
		INSERT INTO resources_original_name_fts(rowid, original_name)
			SELECT new.id, new.original_name WHERE new.original_name <> '';
		INSERT INTO resources_original_location_fts(rowid, original_location)
			SELECT new.id, new.original_location WHERE new.original_location <> '';
	END;

	CREATE TRIGGER resources_original_deleted AFTER DELETE ON resources BEGIN
		DELETE FROM resources_original_name_fts WHERE rowid = old.id;
		DELETE FROM resources_original_location_fts WHERE rowid = old.id;
	END;

	CREATE TRIGGER resources_original_name AFTER UPDATE OF original_name ON resources
	WHEN new.original_name IS NOT old.original_name BEGIN
		DELETE FROM resources_original_name_fts WHERE rowid = old.id;
		INSERT INTO resources_original_name_fts(rowid, original_name)
			SELECT new.id, new.original_name WHERE new.original_name <> '';
	END;

	CREATE TRIGGER resources_original_location AFTER UPDATE OF original_location ON resources
	WHEN new.original_location IS NOT old.original_location BEGIN
		DELETE FROM resources_original_location_fts WHERE rowid = old.id;
		INSERT INTO resources_original_location_fts(rowid, original_location)
			SELECT new.id, new.original_location WHERE new.original_location <> '';
	END;`
