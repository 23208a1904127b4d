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
// A MetaQuery term is "key:value" (the value, as text, contains the given
// text) or "key:OP:value":
//
//	EQ  equal                 NE  not equal (also matches where the key is absent)
//	LI  contains (any case)   NL  does not contain (also matches where absent)
//	GT GE LT LE  greater/less (numbers numerically, strings as text)
//
// Keys are dotted paths into nested objects ("camera.model"). Values are
// true, false, null, numbers, or strings, quoted when they would otherwise
// read as one of the others ("007", 'true'). "key:EQ:null" matches
// resources where the key is absent or null, "key:NE:null" those where it is
// present and not null. Comparisons are typed: the number 5 does not equal
// the string "5". Several EQ terms on the same key are OR'ed; all other
// terms are AND'ed. See ParseMetaQuery for the details.
//
// # SQL dialects
//
// Everything that differs between databases (JSON access, case-insensitive
// matching) is behind a small internal interface, implemented for SQLite in
// sqlite.go; a PostgreSQL implementation can sit beside it.
package query
