package sqlite

// migrationSparseOrder leaves the resources without a resource category
// or a series out of the indexes that list those of one category or one
// series in the default order (migrationSearch): the lists ask only for
// "= ?", which a partial index on IS NOT NULL serves, and most resources
// have neither. An upload without them then writes two index pages fewer
// in its commit (about 33 -> 31 WAL frames of 4 KiB, each a write(2) and a
// checksum, and the pages a checkpoint copies). resources_owner_order
// keeps every row: ShowWithoutOwner reads it for owner_id IS NULL.
const migrationSparseOrder = `
	DROP INDEX resources_resource_category_order;
	CREATE INDEX resources_resource_category_order ON resources(resource_category_id, created_at, id)
		WHERE resource_category_id IS NOT NULL;
	DROP INDEX resources_series_order;
	CREATE INDEX resources_series_order ON resources(series_id, created_at, id)
		WHERE series_id IS NOT NULL;`
