package sqlite

// migrationSearch makes lists and searches fast at millions of resources
// (package query reads these tables). Everything here is derived from the
// core tables and kept right by triggers, so that every writer (Store,
// bulk operations, merges, raw SQL) maintains it without knowing about it;
// the step backfills existing rows.
//
//   - resources_name_fts, resources_description_fts: trigram full-text
//     indexes (FTS5, contentless: they hold no copy of the text) of name
//     and description, for substring searches of three characters or more.
//     Their rowid is the resource ID; empty descriptions are left out.
//   - resource_tag_order: the tags of each resource with its creation
//     time, so that the resources of a tag can be read newest first and the
//     read can stop after a page.
//   - resource_meta: the values in each resource's meta at the top-level
//     keys and at the keys of objects one level down ("camera.model"), for
//     the names a MetaQuery can hold (ASCII letters, digits, "_" and "-"):
//     the key, the value's kind (n number, t text, b boolean, z null,
//     o object, a array), its SQL value as json_extract gives it (booleans
//     1 and 0; NULL for null, objects and arrays) and the resource's
//     creation time. Where an object repeats a key the first one counts,
//     as for json_extract. Its index by key also lists the meta keys in
//     use. Meta that is not a JSON object contributes nothing.
//   - resource_days: the number of resources per day of creation (the
//     first ten characters of created_at, or the empty text for a value
//     that is not text), so that the total and the position of a deep page
//     are found without counting rows.
//   - resource_blocks: the earliest and latest creation time among the
//     resources of each block of 16384 IDs (id >> 14). They only widen
//     (a delete leaves them), so they stay true bounds; as IDs mostly grow
//     with time, they tell which candidates of a search can still make
//     the page without reading them.
//   - indexes that end in (created_at, id) after an equality column, so
//     that lists by owner, resource category or series are read in the
//     default order; and resources_order over (created_at, id) that also
//     carries content type, size, name and description, so that lists
//     filtered on those are checked without reading rows (random row
//     reads cost some thirty times a step along an index). They replace
//     the core step's indexes on those columns.
//
// SQLite runs no delete trigger for the row an INSERT OR REPLACE replaces
// unless PRAGMA recursive_triggers is on: a writer that replaces resources
// rows that way must turn it on (or delete first).
const migrationSearch = `
	CREATE VIRTUAL TABLE resources_name_fts USING fts5(
		name, content='', contentless_delete=1, tokenize='trigram');
	CREATE VIRTUAL TABLE resources_description_fts USING fts5(
		description, content='', contentless_delete=1, tokenize='trigram');

	CREATE TABLE resource_tag_order (
		tag_id INTEGER NOT NULL,
		created_at TIMESTAMP NOT NULL,
		resource_id INTEGER NOT NULL,
		PRIMARY KEY (tag_id, created_at, resource_id)
	) WITHOUT ROWID;

	CREATE TABLE resource_meta (
		resource_id INTEGER NOT NULL,
		key TEXT NOT NULL,
		kind TEXT NOT NULL,
		value,
		created_at TIMESTAMP NOT NULL,
		PRIMARY KEY (resource_id, key)
	) WITHOUT ROWID;
	CREATE INDEX resource_meta_value ON resource_meta(key, kind, value, created_at, resource_id);

	CREATE TABLE resource_days (
		day TEXT NOT NULL PRIMARY KEY,
		n INTEGER NOT NULL
	) WITHOUT ROWID;

	CREATE TABLE resource_blocks (
		block INTEGER PRIMARY KEY,
		min_created TIMESTAMP NOT NULL,
		max_created TIMESTAMP NOT NULL
	);

	DROP INDEX resources_created_at;
	CREATE INDEX resources_order ON resources(created_at, id, content_type, width, height, name, description);
	DROP INDEX resources_owner_id;
	CREATE INDEX resources_owner_order ON resources(owner_id, created_at, id);
	DROP INDEX resources_resource_category_id;
	CREATE INDEX resources_resource_category_order ON resources(resource_category_id, created_at, id);
	DROP INDEX resources_series_id;
	CREATE INDEX resources_series_order ON resources(series_id, created_at, id);

	-- Backfill, then keep up.
	INSERT INTO resources_name_fts(rowid, name) SELECT id, name FROM resources;
	INSERT INTO resources_description_fts(rowid, description)
		SELECT id, description FROM resources WHERE description <> '';
	INSERT INTO resource_tag_order(tag_id, created_at, resource_id)
		SELECT rt.tag_id, r.created_at, r.id FROM resource_tags AS rt JOIN resources AS r ON r.id = rt.resource_id;
	INSERT OR IGNORE INTO resource_meta(resource_id, key, kind, value, created_at)
		SELECT r.id, a.key, CASE a.type WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't'
				WHEN 'true' THEN 'b' WHEN 'false' THEN 'b' WHEN 'null' THEN 'z' WHEN 'object' THEN 'o' ELSE 'a' END, a.atom, r.created_at
		FROM resources AS r, json_each(CASE WHEN json_valid(r.meta) AND json_type(r.meta) = 'object' THEN r.meta ELSE '{}' END) AS a
		WHERE (a.key GLOB '[A-Za-z0-9_-]*' AND a.key NOT GLOB '*[^A-Za-z0-9_-]*')
		UNION ALL
		SELECT r.id, a.key || '.' || b.key, CASE b.type WHEN 'integer' THEN 'n' WHEN 'real' THEN 'n' WHEN 'text' THEN 't'
				WHEN 'true' THEN 'b' WHEN 'false' THEN 'b' WHEN 'null' THEN 'z' WHEN 'object' THEN 'o' ELSE 'a' END, b.atom, r.created_at
		FROM resources AS r, json_each(CASE WHEN json_valid(r.meta) AND json_type(r.meta) = 'object' THEN r.meta ELSE '{}' END) AS a,
			json_each(r.meta -> ('$."' || a.key || '"')) AS b
		WHERE a.type = 'object' AND (a.key GLOB '[A-Za-z0-9_-]*' AND a.key NOT GLOB '*[^A-Za-z0-9_-]*')
			AND b.key IS NOT NULL AND (b.key GLOB '[A-Za-z0-9_-]*' AND b.key NOT GLOB '*[^A-Za-z0-9_-]*');
	INSERT INTO resource_days(day, n)
		SELECT CASE typeof(created_at) WHEN 'text' THEN substr(created_at, 1, 10) ELSE '' END, count(*)
		FROM resources GROUP BY 1;
	INSERT INTO resource_blocks(block, min_created, max_created)
		SELECT id >> 14, min(created_at), max(created_at) FROM resources GROUP BY 1;

	CREATE TRIGGER resources_search_insert AFTER INSERT ON resources BEGIN
		INSERT INTO resources_name_fts(rowid, name) VALUES (new.id, new.name);
		INSERT INTO resources_description_fts(rowid, description)
			SELECT new.id, new.description WHERE new.description <> '';
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

	CREATE TRIGGER resources_search_delete BEFORE DELETE ON resources BEGIN
		DELETE FROM resource_tag_order WHERE resource_id = old.id AND created_at = old.created_at
			AND tag_id IN (SELECT tag_id FROM resource_tags WHERE resource_id = old.id);
	END;

	CREATE TRIGGER resources_search_deleted AFTER DELETE ON resources BEGIN
		DELETE FROM resources_name_fts WHERE rowid = old.id;
		DELETE FROM resources_description_fts WHERE rowid = old.id;
		DELETE FROM resource_meta WHERE resource_id = old.id;
UPDATE resource_days SET n = n - 1 WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END;
		DELETE FROM resource_days WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END AND n <= 0;
	END;

	CREATE TRIGGER resources_search_name AFTER UPDATE OF name ON resources
	WHEN new.name IS NOT old.name BEGIN
		DELETE FROM resources_name_fts WHERE rowid = old.id;
		INSERT INTO resources_name_fts(rowid, name) VALUES (new.id, new.name);
	END;

	CREATE TRIGGER resources_search_description AFTER UPDATE OF description ON resources
	WHEN new.description IS NOT old.description BEGIN
		DELETE FROM resources_description_fts WHERE rowid = old.id;
		INSERT INTO resources_description_fts(rowid, description)
			SELECT new.id, new.description WHERE new.description <> '';
	END;

	CREATE TRIGGER resources_search_meta AFTER UPDATE OF meta ON resources
	WHEN new.meta IS NOT old.meta BEGIN
		DELETE FROM resource_meta WHERE resource_id = old.id;
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
	END;

	CREATE TRIGGER resources_search_created AFTER UPDATE OF created_at ON resources
	WHEN new.created_at IS NOT old.created_at BEGIN
		UPDATE resource_tag_order SET created_at = new.created_at
			WHERE resource_id = new.id AND created_at = old.created_at
			AND tag_id IN (SELECT tag_id FROM resource_tags WHERE resource_id = new.id);
		UPDATE resource_meta SET created_at = new.created_at WHERE resource_id = new.id;
		UPDATE resource_days SET n = n - 1 WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END;
		DELETE FROM resource_days WHERE day = CASE typeof(old.created_at) WHEN 'text' THEN substr(old.created_at, 1, 10) ELSE '' END AND n <= 0;
		INSERT INTO resource_days(day, n) VALUES (CASE typeof(new.created_at) WHEN 'text' THEN substr(new.created_at, 1, 10) ELSE '' END, 1)
			ON CONFLICT(day) DO UPDATE SET n = n + 1;
		INSERT INTO resource_blocks(block, min_created, max_created)
			VALUES (new.id >> 14, new.created_at, new.created_at)
			ON CONFLICT(block) DO UPDATE SET min_created = min(min_created, excluded.min_created),
				max_created = max(max_created, excluded.max_created);
	END;

	CREATE TRIGGER resource_tags_search_insert AFTER INSERT ON resource_tags BEGIN
		INSERT OR IGNORE INTO resource_tag_order(tag_id, created_at, resource_id)
			SELECT new.tag_id, created_at, id FROM resources WHERE id = new.resource_id;
	END;

	CREATE TRIGGER resource_tags_search_delete AFTER DELETE ON resource_tags BEGIN
		DELETE FROM resource_tag_order WHERE tag_id = old.tag_id AND resource_id = old.resource_id
			AND created_at = (SELECT created_at FROM resources WHERE id = old.resource_id);
	END;

	CREATE TRIGGER resource_tags_search_update AFTER UPDATE ON resource_tags BEGIN
		DELETE FROM resource_tag_order WHERE tag_id = old.tag_id AND resource_id = old.resource_id
			AND created_at = (SELECT created_at FROM resources WHERE id = old.resource_id);
		INSERT OR IGNORE INTO resource_tag_order(tag_id, created_at, resource_id)
			SELECT new.tag_id, created_at, id FROM resources WHERE id = new.resource_id;
	END;
`
