package sqlite

// migrationMedia holds what images need beyond the core schema:
//
//   - image_hashes: the perceptual hashes of stored content, keyed by its
//     SHA-256 (resources.hash), so identical content is hashed once. dhash
//     and phash are the 64-bit hashes as signed integers; status is 0 for
//     hashed, 1 for a flat image (hashes meaningless, never similar), 2 for
//     content that could not be decoded (not retried).
//   - resource_similar: every pair of resources whose images are similar,
//     in both directions, with their distance (the larger of the dHash and
//     pHash Hamming distances). The ShowWithSimilar list filter is
//     r.id IN (SELECT resource_id FROM resource_similar).
//   - media_queue: resources whose content changed (inserted, new current
//     version, deleted), filled by triggers in the same transaction as the
//     change, so that the background worker catches up after a restart.
//     Existing images are queued once when this step is applied.
//   - media_settings: the similarity threshold the pairs were computed
//     with, so that a change of threshold is noticed.
const migrationMedia = `CREATE TABLE image_hashes (
		content_hash TEXT PRIMARY KEY,
		dhash INTEGER NOT NULL DEFAULT 0,
		phash INTEGER NOT NULL DEFAULT 0,
		status INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;
	CREATE TABLE resource_similar (
		resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		other_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
		distance INTEGER NOT NULL,
		PRIMARY KEY (resource_id, other_id)
	) WITHOUT ROWID;
	CREATE INDEX resource_similar_other ON resource_similar(other_id);
	CREATE TABLE media_queue (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		resource_id INTEGER NOT NULL
	);
	CREATE TABLE media_settings (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TRIGGER resources_media_insert AFTER INSERT ON resources
		WHEN NEW.content_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp', 'image/tiff')
	BEGIN
		INSERT INTO media_queue (resource_id) VALUES (NEW.id);
	END;
	CREATE TRIGGER resources_media_update AFTER UPDATE OF hash, content_type ON resources
		WHEN OLD.hash IS NOT NEW.hash OR OLD.content_type IS NOT NEW.content_type
	BEGIN
		INSERT INTO media_queue (resource_id) VALUES (NEW.id);
	END;
	CREATE TRIGGER resources_media_delete AFTER DELETE ON resources
		WHEN OLD.content_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp', 'image/tiff')
	BEGIN
		INSERT INTO media_queue (resource_id) VALUES (OLD.id);
	END;
	INSERT INTO media_queue (resource_id)
		SELECT id FROM resources
		WHERE content_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp', 'image/tiff')
		ORDER BY id;`
