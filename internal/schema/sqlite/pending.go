package sqlite

// migrationTextPending takes the full-text indexing of new resources off
// their insert. FTS5 writes a new segment of each of its tables at every
// commit (at every savepoint, even), some six pages per table, which made
// two trigram tables about a third of the pages an upload writes, and the
// larger part of its statement time; in batches the same rows cost a
// fraction of that, and fewer segments are left to merge and to search.
//
//   - resources_text_pending: the resources inserted but not yet in the
//     four trigram tables (name, description, original name and
//     location). The insert trigger files the new ID here instead;
//     resources.Store.IndexText moves a batch into the tables in one
//     transaction, and the server runs it in the background. A resource
//     is either filed here, and in none of the four tables, or in every
//     one its non-empty values belong to: the update triggers leave a
//     filed resource alone (the indexer reads its values when it runs),
//     and the delete trigger removes it from whichever of the two holds it.
//   - package query adds the filed IDs to the candidates of every text
//     search, whose LIKE check keeps the results exact, so that a resource
//     is found the moment it is inserted.
//
// The rows of the tables themselves are not moved: those already indexed
// stay so.
const migrationTextPending = `
	CREATE TABLE resources_text_pending (id INTEGER PRIMARY KEY);

	DROP TRIGGER resources_search_insert;
	CREATE TRIGGER resources_search_insert AFTER INSERT ON resources BEGIN
		INSERT OR IGNORE INTO resource_meta(resource_id, key, kind, value, created_at)
			SELECT new.id, a.key, CASE a.type WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't'
				WHEN 'true' THEN 'b' WHEN 'false' THEN 'b' WHEN 'null' THEN 'z' WHEN 'object' THEN 'o' ELSE 'a' END, a.atom, new.created_at
			FROM json_each(CASE WHEN json_valid(new.meta) AND json_type(new.meta) = 'object' THEN new.meta ELSE '{}' END) AS a
			WHERE (a.key GLOB '[A-Za-z0-9_-]*' AND a.key NOT GLOB '*[^A-Za-z0-9_-]*')
			UNION ALL
			SELECT new.id, a.key || '.' || b.key, CASE b.type WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't'
				WHEN 'true' THEN 'b' WHEN 'false' THEN 'b' WHEN 'null' THEN 'z' WHEN 'object' THEN 'o' ELSE 'a' END, b.atom, new.created_at
			FROM json_each(CASE WHEN json_valid(new.meta) AND json_type(new.meta) = 'object' THEN new.meta ELSE '{}' END) AS a,
				json_each(new.meta -> ('$."' || a.key || '"')) AS b
			WHERE a.type = 'object' AND (a.key GLOB '[A-Za-z0-9_-]*' AND a.key NOT GLOB '*[^A-Za-z0-9_-]*')
				AND b.key IS NOT NULL AND (b.key GLOB '[A-Za-z0-9_-]*' AND b.key NOT GLOB '*[^A-Za-z0-9_-]*');
		INSERT INTO resource_days(day, n) VALUES (CASE typeof(new.created_at) WHEN 'text' THEN substr(new.created_at, 1, 10) ELSE '' END, 1)
			ON CONFLICT(day) DO UPDATE SET n = n + 1;
		INSERT INTO resource_blocks(block, min_created, max_created)
			VALUES (new.id >> 14, new.created_at, new.created_at)
			ON CONFLICT(block) DO UPDATE SET min_created = min(min_created, excluded.min_created),
				max_created = max(max_created, excluded.max_created);
	END;

	DROP TRIGGER resources_original_insert;
	CREATE TRIGGER resources_text_insert AFTER INSERT ON resources BEGIN
		INSERT OR IGNORE INTO resources_text_pending(id) VALUES (new.id);
	END;

	-- One trigger deletes from the full-text tables and from the pending
	-- IDs, in that order, so that the tables are left alone exactly when
	-- the resource was filed (SQLite does not say in which order it runs
	-- the triggers of one event).
	DROP TRIGGER resources_search_deleted;
	DROP TRIGGER resources_original_deleted;
	CREATE TRIGGER resources_search_deleted AFTER DELETE ON resources BEGIN
		DELETE FROM resources_name_fts WHERE rowid = old.id
			AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = old.id);
		DELETE FROM resources_description_fts WHERE rowid = old.id
			AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = old.id);
		DELETE FROM resources_original_name_fts WHERE rowid = old.id
			AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = old.id);
		DELETE FROM resources_original_location_fts WHERE rowid = old.id
			AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = old.id);
		DELETE FROM resources_text_pending WHERE id = old.id;
		DELETE FROM resource_meta WHERE resource_id = old.id;
		UPDATE resource_days SET n = n - 1 WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END;
		DELETE FROM resource_days WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END AND n <= 0;
	END;

	DROP TRIGGER resources_search_name;
	CREATE TRIGGER resources_search_name AFTER UPDATE OF name ON resources
	WHEN new.name IS NOT old.name
		AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = new.id) BEGIN
		DELETE FROM resources_name_fts WHERE rowid = old.id;
		INSERT INTO resources_name_fts(rowid, name) VALUES (new.id, new.name);
	END;

	DROP TRIGGER resources_search_description;
	CREATE TRIGGER resources_search_description AFTER UPDATE OF description ON resources
	WHEN new.description IS NOT old.description
		AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = new.id) BEGIN
		DELETE FROM resources_description_fts WHERE rowid = old.id;
		INSERT INTO resources_description_fts(rowid, description)
			SELECT new.id, new.description WHERE new.description <> '';
	END;

	DROP TRIGGER resources_original_name;
	CREATE TRIGGER resources_original_name AFTER UPDATE OF original_name ON resources
	WHEN new.original_name IS NOT old.original_name
		AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = new.id) BEGIN
		DELETE FROM resources_original_name_fts WHERE rowid = old.id;
		INSERT INTO resources_original_name_fts(rowid, original_name)
			SELECT new.id, new.original_name WHERE new.original_name <> '';
	END;

	DROP TRIGGER resources_original_location;
	CREATE TRIGGER resources_original_location AFTER UPDATE OF original_location ON resources
	WHEN new.original_location IS NOT old.original_location
		AND NOT EXISTS (SELECT 1 FROM resources_text_pending WHERE id = new.id) BEGIN
		DELETE FROM resources_original_location_fts WHERE rowid = old.id;
		INSERT INTO resources_original_location_fts(rowid, original_location)
			SELECT new.id, new.original_location WHERE new.original_location <> '';
	END;`
