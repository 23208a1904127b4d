package seed

import (
	"strconv"
	"strings"
)

// metaKey is a generated meta key and how its value is made.
type metaKey struct {
	name  string
	value func(g *generator) string // JSON text
}

func jsonString(s string) string { return strconv.Quote(s) } // the generated texts are plain ASCII

func oneOf(values ...string) func(g *generator) string {
	return func(g *generator) string { return jsonString(values[g.rng.IntN(len(values))]) }
}

func intOf(values ...int) func(g *generator) string {
	return func(g *generator) string { return strconv.Itoa(values[g.rng.IntN(len(values))]) }
}

// Cameras are the values of the "camera" meta key, most common first.
var Cameras = []string{"Fujifilm X100V", "Canon EOS R5", "Sony A7 IV", "Nikon Z6", "iPhone 15 Pro",
	"Pixel 8", "Leica Q2", "Olympus OM-1", "Panasonic GH6", "Ricoh GR III", "Hasselblad X2D", "DJI Mavic 3"}

// metaKeys are the 30 generated keys; earlier keys are used more often.
var metaKeys = []metaKey{
	{"camera", func(g *generator) string {
		return jsonString(Cameras[min(len(Cameras)-1, int(g.rng.ExpFloat64()*3))])
	}},
	{"rating", intOf(1, 2, 3, 3, 4, 4, 4, 5, 5)},
	{"status", oneOf("draft", "review", "final", "final", "archived")},
	{"iso", intOf(100, 200, 400, 800, 1600, 3200, 6400, 12800)},
	{"public", func(g *generator) string { return strconv.FormatBool(g.rng.IntN(3) == 0) }},
	{"project", func(g *generator) string { return jsonString("project-" + strconv.Itoa(1+int(g.projectZipf.Uint64()))) }},
	{"license", oneOf("CC-BY", "CC0", "all-rights-reserved", "editorial")},
	{"score", func(g *generator) string { return strconv.FormatFloat(float64(g.rng.IntN(1000))/1000, 'f', -1, 64) }},
	{"aperture", func(g *generator) string {
		return []string{"1.4", "1.8", "2.8", "4", "5.6", "8", "11", "16"}[g.rng.IntN(8)]
	}},
	{"year", func(g *generator) string { return strconv.Itoa(2000 + g.rng.IntN(26)) }},
	{"photographer", func(g *generator) string {
		return jsonString("person-" + strconv.Itoa(1+int(g.personZipf.Uint64())))
	}},
	{"exif", func(g *generator) string {
		maker := []string{"FUJIFILM", "Canon", "SONY", "NIKON", "Apple", "Google"}[g.rng.IntN(6)]
		return `{"make":` + jsonString(maker) + `,"lens":` + jsonString(strconv.Itoa(16+g.rng.IntN(185))+"mm") + `}`
	}},
	{"source", oneOf("upload", "scan", "import", "api", "email")},
	{"orientation", oneOf("landscape", "landscape", "portrait", "square")},
	{"location", func(g *generator) string { return jsonString(g.word()) }},
	{"country", oneOf("FR", "DE", "US", "JP", "BR", "IN", "IT", "ES", "GB", "NL", "SE", "KE")},
	{"priority", intOf(1, 2, 3)},
	{"keywords", func(g *generator) string {
		return `[` + jsonString(g.word()) + `,` + jsonString(g.word()) + `]`
	}},
	{"color", oneOf("red", "blue", "green", "yellow", "black", "white", "mixed")},
	{"client", func(g *generator) string { return jsonString("client-" + strconv.Itoa(1+g.rng.IntN(300))) }},
	{"approved", func(g *generator) string { return strconv.FormatBool(g.rng.IntN(2) == 0) }},
	{"language", oneOf("en", "fr", "de", "es", "ja", "pt")},
	{"pages", func(g *generator) string { return strconv.Itoa(1 + g.rng.IntN(300)) }},
	{"duration", func(g *generator) string { return strconv.FormatFloat(float64(g.rng.IntN(36000))/10, 'f', -1, 64) }},
	{"gps", func(g *generator) string {
		return `{"lat":` + strconv.FormatFloat(float64(g.rng.IntN(180000)-90000)/1000, 'f', -1, 64) +
			`,"lon":` + strconv.FormatFloat(float64(g.rng.IntN(360000)-180000)/1000, 'f', -1, 64) + `}`
	}},
	{"bitrate", intOf(128, 192, 256, 320, 5000, 12000, 50000)},
	{"edited", func(g *generator) string { return strconv.FormatBool(g.rng.IntN(4) == 0) }},
	{"notes", func(g *generator) string { return jsonString(g.phrase(5)) }},
	{"version", func(g *generator) string { return strconv.Itoa(1 + g.rng.IntN(5)) }},
	{"reviewer", func(g *generator) string { return jsonString("person-" + strconv.Itoa(1+g.rng.IntN(50))) }},
}

// meta writes a JSON object of 3 to 6 distinct keys to b.
func (g *generator) meta(b *strings.Builder, _ contentType) {
	n := 3 + g.rng.IntN(4)
	var used [6]int
	b.WriteByte('{')
	for k := 0; k < n; {
		i := int(g.keyZipf.Uint64())
		dup := false
		for _, u := range used[:k] {
			dup = dup || u == i
		}
		if dup {
			continue
		}
		used[k] = i
		if k > 0 {
			b.WriteByte(',')
		}
		k++
		b.WriteString(jsonString(metaKeys[i].name))
		b.WriteByte(':')
		b.WriteString(metaKeys[i].value(g))
	}
	b.WriteByte('}')
}
