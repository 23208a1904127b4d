// Package params turns an HTTP request into one case-insensitive bag of
// parameters, so that every /v1 handler accepts the same inputs whichever
// way a client sends them.
//
// # Sources
//
// [Parse] reads the URL query and, depending on the Content-Type, an
// application/x-www-form-urlencoded body or a JSON object body. Body values
// replace query values of the same name; repeated values from the same
// source accumulate. Multipart bodies are left unread: they carry files that
// the caller streams part by part, adding text parts with [Values.Add].
//
// # Names
//
// Names match case-insensitively: id, Id and ID are one parameter. Every
// getter takes one or more aliases; the first alias that is present wins, so
// callers list their preferred name first:
//
//	id, ok, err := v.Int64("id", "resourceId")
//
// The typed single-value getters ([Values.Int64], [Values.Bool],
// [Values.Time], [Values.Object]) treat an empty or blank value as absent,
// because HTML forms send empty fields, and then try the next alias. A JSON
// null is absent for every getter.
//
// # Conversions
//
//   - Lists: repeated keys (Tags=1&Tags=2) or a JSON array; a single value
//     where a list is expected is a one-element list. As a convenience,
//     [Values.Int64s] also splits a text value on commas (Tags=1,2).
//   - Integers: decimal text, or integral JSON numbers (1, 1.0 and 1e3 are
//     integers; 1.5 is not). Values outside int64 are errors.
//   - Booleans: true/false, 1/0, on/off, yes/no in any case, or JSON bools.
//   - Dates: YYYY-MM-DD, RFC 3339, or YYYY-MM-DDTHH:MM[:SS] without a zone
//     (as HTML datetime-local inputs send it), which is taken as UTC.
//   - Objects (Meta): a JSON object in a JSON body, or a string holding one.
//
// # Errors and limits
//
// Every error that Parse and the getters return is an [*Error], a client
// error that the HTTP layer answers with 400, or with 413 when
// [Error.TooLarge] is set. A request may carry at most [MaxValues] values;
// JSON may nest at most [MaxDepth] levels; a body may be at most the size
// given to Parse. Text ([Values.String], [Values.Strings]) and objects
// ([Values.Object]) holding NUL or invalid UTF-8 are errors. The HTTP layer
// bounds the length of each field (httpapi/limits.go).
package params
