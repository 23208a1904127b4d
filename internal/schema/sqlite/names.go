package sqlite

// migrationNameVersion tells the changes to the resources' names and
// creation times, so that package query can keep the names of a small
// library in memory and know, within a list's read transaction, whether
// its copy is that snapshot's: a Name search then scans the copy instead
// of asking the trigram index for candidates and checking each one's row,
// which was half the CPU of such a list.
//
//   - resource_name_version: one row, whose version every delete of a
//     resource, and every change of a resource's ID, name or creation
//     time, increments. So does an insert below the highest ID; an insert
//     above it, which is every upload's, leaves the version alone and
//     raises the highest ID instead, which package query reads with it:
//     the pair changes with every change of the names, and an upload
//     writes no page more to the WAL for it. Other updates (the media
//     worker's dimensions, a description) leave both alone.
const migrationNameVersion = `
	CREATE TABLE resource_name_version (
		one INTEGER PRIMARY KEY CHECK (one = 1),
		version INTEGER NOT NULL
	);
	INSERT INTO resource_name_version(one, version) VALUES (1, 0);

	CREATE TRIGGER resources_name_version_insert AFTER INSERT ON resources
	WHEN new.id < (SELECT max(id) FROM resources) BEGIN
		UPDATE resource_name_version SET version = version + 1;
	END;
	CREATE TRIGGER resources_name_version_delete AFTER DELETE ON resources BEGIN
		UPDATE resource_name_version SET version = version + 1;
	END;
	CREATE TRIGGER resources_name_version_update AFTER UPDATE OF id, name, created_at ON resources
	WHEN new.id IS NOT old.id OR new.name IS NOT old.name OR new.created_at IS NOT old.created_at BEGIN
		UPDATE resource_name_version SET version = version + 1;
	END;`
