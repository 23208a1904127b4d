//go:build !race

package httpapi_test

// raceEnabled reports whether the race detector is on: heavy tests shrink.
const raceEnabled = false
