package sqltime

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The fast path must return exactly what the driver's layouts return:
// the same instant, the same location and the same offset.
func TestParseAgreesWithTheDriversLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600), time.FixedZone("", -(5*3600 + 30*60))}
	var texts []string
	for range 2000 {
		tm := time.Unix(rng.Int64N(4_000_000_000), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
		for _, layout := range []string{
			"2006-01-02 15:04:05.999999-07:00", // what bun writes
			"2006-01-02T15:04:05.999999999-07:00",
			"2006-01-02 15:04:05.999999999",
			"2006-01-02T15:04:05Z",
			"2006-01-02 15:04:05.000",
		} {
			texts = append(texts, tm.Format(layout))
		}
	}
	texts = append(texts, "2024-02-29 23:59:59.1+00:00", "2023-02-29 10:00:00", "2024-01-01 10:00",
		"2024-01-01", "2024-13-01 10:00:00", "2024-01-01 10:00:00.", "2024-01-01 10:00:00.1234567891+00:00",
		"2024-01-01 25:00:00", "x", "", "2024-01-01 10:00:00 +0000 UTC", "2024-01-01 10:00:00+01:00 m=+1")
	for _, s := range texts {
		got, gotErr := Parse(s)
		want, wantErr := parseSlow(s)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("Parse(%q): error %v, the layouts say %v", s, gotErr, wantErr)
		}
		if gotErr != nil {
			continue
		}
		_, gotOff := got.Zone()
		_, wantOff := want.Zone()
		if !got.Equal(want) || got.Location().String() != want.Location().String() || gotOff != wantOff ||
			got.Format(time.RFC3339Nano) != want.Format(time.RFC3339Nano) {
			t.Fatalf("Parse(%q) = %v (%s), the layouts give %v (%s)", s, got, got.Location(), want, want.Location())
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		Parse("2026-12-03 07:23:01.123456+00:00")
	}
}

func BenchmarkParseSlow(b *testing.B) {
	for b.Loop() {
		parseSlow("2026-12-03 07:23:01.123456+00:00")
	}
}
