// Package query lists resources with the filters of GET /v1/resources:
// substring and exact matches on the resource's fields, its owner, groups,
// tags, notes, category and series, creation time and image size,
// conditions on its Meta (MetaQuery), sorting (SortBy) and paging.
//
// A Filter is validated and compiled into one parameterised SQL query for
// the page and one for the total count; nothing from a Filter is ever
// spliced into SQL text. Relations (Tags, Owner, ResourceCategory, Series)
// are loaded for the whole page in a fixed number of queries.
//
// # MetaQuery
//
// A MetaQuery term is "key:value" (the value, as text, is LIKE %value%) or
// "key:OP:value":
//
//	EQ  equal                 NE  present, not null, and not equal
//	LI  LIKE %value% (any case; the client's % and _ are wildcards)
//	NL  present, not null, and not LIKE %value%
//	GT GE LT LE  greater/less (numbers numerically, strings as text)
//
// NE and NL leave out resources without the key, as the reference
// application's SQL (<>, NOT LIKE) does.
//
// Keys are dotted paths into nested objects ("camera.model"). Values are
// true, false, null, numbers, or strings, quoted when they would otherwise
// read as one of the others ("007", 'true'). "key:EQ:null" matches
// resources where the key is absent or null, "key:NE:null" those where it is
// present and not null. Comparisons are typed: the number 5 does not equal
// the string "5". Several EQ terms on the same key are OR'ed; all other
// terms are AND'ed. See ParseMetaQuery for the details.
//
// # Lists at scale
//
// A list is meant to cost about the same whatever the size of the
// library: a page is read from an index that holds its matches in the
// default order (created_at, then id) and stops after the page, or from a
// small set of candidates that is sorted whole, or from the candidates of
// a full-text search read by ID from the newest down. The schema keeps
// what that needs up to date with triggers (internal/schema/sqlite,
// search.go and sort.go): trigram full-text indexes of Name, Description,
// OriginalName and OriginalLocation, the tags and the meta values of each
// resource beside its creation time, per-day counts, and indexes that end
// in the default order. plan.go says how a list picks its way in. Other
// sort orders are left to the database's planner, with an index on every
// sortable column and the small set the plan found, if any.
//
// A list reads in one transaction: its page, the page's relations and its
// total see the same state of the library while writers commit.
//
// Substring searches of three characters or more on Name, Description,
// OriginalName and OriginalLocation go through the trigram index; shorter
// ones, and ContentType, check each entry. Either way the result is that
// of LIKE: a substring, ASCII letters in any case.
//
// # Totals
//
// Page.Total is exact when the page ends the list, for lists without
// conditions (or only a creation-time range), and when the matches were
// few enough to be read whole. Otherwise counting every match could cost
// far more than the page, so the count stops after a bounded amount of
// work: Page.TotalCapped is then true and Total is a lower bound, at least
// the number of resources up to the end of the page, plus one when
// another page follows. The HTTP API sends it as X-Total-Count with
// X-Total-Count-Capped: true.
//
// # SQL dialects
//
// Everything that differs between databases (JSON access, case-insensitive
// matching, full-text search, index hints, timestamps as text) is behind a
// small internal interface, implemented for SQLite in sqlite.go; a
// PostgreSQL implementation can sit beside it. The side tables are plain
// SQL. The cost-based planner needs the side tables and full-text indexes
// of the SQLite schema; a dialect without them (PostgreSQL) takes the
// generic path, one statement per page that the database plans itself over
// its own indexes (trigram and jsonb GIN, btree), with totals bounded as
// above: exact without conditions (from resource_days, which the
// PostgreSQL schema keeps too) and at the end of a list, otherwise counted
// only as far as indexes make it cheap. Where a measured list needed one,
// the PostgreSQL schema keeps a side table of its own (resource_tag_order
// for tags, resource_meta for meta terms), read by the generic path. The tests run every list in both
// modes, and compare both with an exact reference.
package query
