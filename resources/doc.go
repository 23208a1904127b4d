// Package resources is the heart of Stockroom: the model of a stored file
// (a Resource) and the entities it relates to (tags, groups, group
// categories, notes, resource categories, series), the database schema and
// its migrations, and Store, which creates, reads, edits and deletes them.
//
// Store writes file content to a blobstore.Store first and commits the rows
// that point at it afterwards, in one transaction, so that no row ever names
// a blob that is not fully written. A blob is removed only once no resource
// and no version refers to it.
package resources
