// Package sqltime reads the timestamps that Stockroom stores as text in
// SQLite, fast.
//
// bun writes every time.Time as "2006-01-02 15:04:05.999999-07:00" in UTC;
// the SQLite driver, reading a TIMESTAMP column, tries several layouts with
// time.Parse, which showed as a tenth of the CPU of a list request. Parse
// reads that layout (and its variants with a 'T', a 'Z' or no zone) by hand
// and falls back to the driver's own layouts for anything else, so that it
// returns what the driver would have returned.
package sqltime

import (
	"strings"
	"time"
)

// fallbackLayouts are the SQLite driver's (modernc.org/sqlite) layouts, in
// its order, for text the fast path does not read.
var fallbackLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// Parse reads the text of a stored timestamp into the time.Time that the
// SQLite driver would have returned for it: in time.Local when the text's
// offset is Local's at that instant, in UTC when the text has no offset or
// ends in Z, else in a fixed zone of the offset (time.Parse's rules).
func Parse(s string) (time.Time, error) {
	if t, ok := parseFast(s); ok {
		return t, nil
	}
	return parseSlow(s)
}

// parseFast reads "YYYY-MM-DD HH:MM:SS[.fraction][Z|±HH:MM]", with a space
// or a 'T' in the middle; ok is false for anything else.
func parseFast(s string) (t time.Time, ok bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		scale := 100_000_000
		for ; i < len(rest) && '0' <= rest[i] && rest[i] <= '9'; i++ {
			if i > 9 {
				return time.Time{}, false
			}
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	switch {
	case rest == "" || rest == "Z":
		return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 24 || om > 59 {
			return time.Time{}, false
		}
		offset := oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
		t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-time.Duration(offset) * time.Second)
		return inOffset(t, offset), true
	}
	return time.Time{}, false
}

// inOffset puts t in Local when Local has offset at t, else in a fixed
// zone, as time.Parse does.
func inOffset(t time.Time, offset int) time.Time {
	if _, off := t.In(time.Local).Zone(); off == offset {
		return t.In(time.Local)
	}
	return t.In(time.FixedZone("", offset))
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseSlow is the driver's own parse: time.Time.String's layout, then
// its layouts in order, with a trailing Z meaning UTC.
func parseSlow(s string) (time.Time, error) {
	str := s
	if i := strings.Index(str, "m="); i > 0 {
		str = str[:i]
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", strings.TrimSpace(str)); err == nil {
		return t, nil
	}
	ts, _ := strings.CutSuffix(s, "Z")
	var firstErr error
	for _, layout := range fallbackLayouts {
		t, err := time.Parse(layout, ts)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}
